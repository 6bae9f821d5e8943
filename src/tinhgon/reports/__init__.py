"""Review reports (sơ kết / tổng kết) and official documents in the form of Nghị định 30/2020/NĐ-CP."""
