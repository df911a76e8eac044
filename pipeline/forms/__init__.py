"""The submission forms: the template contract (spec) and the blank-workbook builder."""
