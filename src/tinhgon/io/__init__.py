"""Files in and out: XLSX/CSV templates, import validation, export, legacy Vietnamese encodings, geometry.

Modules (import the one you need; heavy libraries load only when used):

* ``text``      bytes -> str (UTF-8, cp1258, TCVN3, VNI), NFC, ``normalize_name``, ``strip_diacritics``
* ``tables``    CSV/XLSX -> rows with file, sheet and row number; XLSX safety checks
* ``schemas``   the KINDs, ``validate`` and ``load`` (read + validate, ValidationFailed on any error)
* ``problems``  ``Problem``, ``ValidationFailed``, ``format_report``, ``annotate_workbook``
* ``templates`` ``write_template``, ``export_rows``
* ``geo``       GeoJSON/Shapefile boundaries and adjacency
"""
