"""tinhgon: the grassroots reorganisation toolkit (tinh gọn)."""

__version__ = "0.1.0"
