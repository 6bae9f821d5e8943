"""Tables of the registry (SQLAlchemy Core). History lives in the same tables: every dated row has
half-open validity [valid_from, valid_to); NULL means open. No copy per period.

Identity and labels are separate: ``unit`` is the identity, ``unit_version`` holds what a unit was
called, where it belonged and how big it was over time. A code is a label of a version, not an id.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

data_source = Table(
    "data_source",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("version", String(50), nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    Column("note", Text),
)

unit = Table(
    "unit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("level", String(20), nullable=False),
    Column("source_id", Integer, ForeignKey("data_source.id")),
)

unit_version = Table(
    "unit_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", Integer, ForeignKey("unit.id", ondelete="CASCADE"), nullable=False),
    Column("level", String(20), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("parent_id", Integer, ForeignKey("unit.id")),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("households", Integer),
    Column("population", Integer),
    Column("area_km2", Float),
    Column("lat", Float),
    Column("lon", Float),
    Column("geometry", Text),
    Column("region", String(40)),
    Column("province_code", String(10)),
    Column("mountainous", Boolean, nullable=False, default=False),
    Column("border", Boolean, nullable=False, default=False),
    Column("island", Boolean, nullable=False, default=False),
    Column("urban", Boolean),
    Column("commune_class", Integer),
    Column("security_key", Boolean, nullable=False, default=False),
    Column("row_version", Integer, nullable=False, default=1),
    CheckConstraint("households IS NULL OR households >= 0", name="households_nonneg"),
    CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_from < valid_to", name="period"),
)
Index("ix_unit_version_level_code", unit_version.c.level, unit_version.c.code)
Index("ix_unit_version_code", unit_version.c.code)
Index("ix_unit_version_parent", unit_version.c.parent_id)
Index("ix_unit_version_unit", unit_version.c.unit_id)

adjacency = Table(
    "adjacency",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("a_id", Integer, ForeignKey("unit.id", ondelete="CASCADE"), nullable=False),
    Column("b_id", Integer, ForeignKey("unit.id", ondelete="CASCADE"), nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    CheckConstraint("a_id < b_id", name="ordered"),
)
Index("ix_adjacency_a", adjacency.c.a_id)
Index("ix_adjacency_b", adjacency.c.b_id)

household = Table(
    "household",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
)

household_residence = Table(
    "household_residence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("household_id", Integer, ForeignKey("household.id", ondelete="CASCADE"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("address", String(300)),
    Column("members", Integer, nullable=False, default=1),
    Column("valid_from", Date),
    Column("valid_to", Date),
    CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_from < valid_to", name="period"),
)
Index("ix_household_residence_unit", household_residence.c.unit_id)
Index("ix_household_residence_household", household_residence.c.household_id)

person = Table(
    "person",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), unique=True),
    Column("full_name", String(200), nullable=False),
    Column("birth_date", Date),
    Column("gender", String(5)),
    Column("party_member", Boolean, nullable=False, default=False),
    Column("household_id", Integer, ForeignKey("household.id")),
    Column("is_head", Boolean, nullable=False, default=False),  # chủ hộ: represents the household
    Column("phone", String(30)),
)
Index("ix_person_household", person.c.household_id)

title_type = Table(
    "title_type",
    metadata,
    Column("code", String(60), primary_key=True),
    Column("name_vi", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("level", String(20), nullable=False),
    Column("grp", String(30), nullable=False),
    Column("requires_party_member", Boolean, nullable=False, default=False),
    Column("sort_order", Integer, nullable=False, default=0),
)

title_holding = Table(
    "title_holding",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("person.id"), nullable=False),
    Column("title_code", String(60), ForeignKey("title_type.code"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("concurrent", Boolean, nullable=False, default=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("decision", String(100)),
    CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_from < valid_to", name="period"),
)
Index("ix_title_holding_unit", title_holding.c.unit_id)
Index("ix_title_holding_person", title_holding.c.person_id)

lineage_event = Table(
    "lineage_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("doc_number", String(100)),
    Column("doc_date", Date),
    Column("issuer", String(200)),
    Column("note", Text),
    Column("source_id", Integer, ForeignKey("data_source.id")),
)

lineage_link = Table(
    "lineage_link",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("lineage_event.id", ondelete="CASCADE"), nullable=False),
    Column("from_unit_id", Integer, ForeignKey("unit.id")),
    Column("to_unit_id", Integer, ForeignKey("unit.id")),
    # the predecessor went only in part into this successor (a split); 'primary' marks the successor
    # that the source names as the default one, kept for information only
    Column("partial", Boolean, nullable=False, default=False),
    Column("primary_successor", Boolean, nullable=False, default=False),
    UniqueConstraint("event_id", "from_unit_id", "to_unit_id", name="uq_lineage_link_edge"),
)
Index("ix_lineage_link_from", lineage_link.c.from_unit_id)
Index("ix_lineage_link_to", lineage_link.c.to_unit_id)


# --- merger plans (draft → approved → applied) ----------------------------------------------------

plan = Table(
    "plan",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("scope_unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("at_date", Date, nullable=False),
    Column("status", String(20), nullable=False, default="draft"),
    Column("mode", String(20), nullable=False, default="standard"),
    Column("threshold", Integer),
    Column("params", Text),    # JSON
    Column("metrics", Text),   # JSON
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100)),
    Column("row_version", Integer, nullable=False, default=1),
)

plan_group = Table(
    "plan_group",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(60), nullable=False),
    Column("parent_unit_id", Integer, ForeignKey("unit.id")),
    Column("threshold", Integer),
    Column("households", Integer, nullable=False, default=0),
    Column("new_name", String(200)),
    Column("new_code", String(40)),
    UniqueConstraint("plan_id", "label", name="uq_plan_group_label"),
)
Index("ix_plan_group_plan", plan_group.c.plan_id)

plan_member = Table(
    "plan_member",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False),
    Column("group_id", Integer, ForeignKey("plan_group.id", ondelete="CASCADE"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    UniqueConstraint("plan_id", "unit_id", name="uq_plan_member_unit"),
)
Index("ix_plan_member_group", plan_member.c.group_id)

# Each domain's own tables, on the same metadata (imported last: they refer to the tables above).
from tinhgon.consult import tables as _consult_tables  # noqa: E402,F401
from tinhgon.coordination import tables as _coordination_tables  # noqa: E402,F401
from tinhgon.dossier import tables as _dossier_tables  # noqa: E402,F401
from tinhgon.execute import tables as _execute_tables  # noqa: E402,F401
from tinhgon.registry import import_tables as _import_tables  # noqa: E402,F401
from tinhgon.reliability import tables as _reliability_tables  # noqa: E402,F401
from tinhgon.reports import tables as _reports_tables  # noqa: E402,F401
from tinhgon.staffing import tables as _staffing_tables  # noqa: E402,F401
from tinhgon.web import tables as _web_tables  # noqa: E402,F401
