"""`python -m tinhgon ...`: the same as the `tinhgon` console script."""

from tinhgon.entry import main

main()
