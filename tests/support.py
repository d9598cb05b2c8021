"""Small helpers shared by the engine tests."""
from __future__ import annotations

from sqlalchemy import func, select

from workflow.domain.errors import WorkflowError
from workflow.adapters.tables import events


PASSWORD = "correct horse battery"
# step records that satisfy the shipped definitions (committee-personnel, appointment-internal)
CRITERIA = {"criteria": "Theo HD 38", "structure": "9 đồng chí", "seats": 9, "candidates": ["Nguyễn Văn A", "Trần Thị B"]}
APPRAISAL = {"appraisal": "Đạt", "submission_no": "12-TTr/HU", "submission_date": "2026-01-10"}
DECISION = {"decision_no": "45-QĐ/HU", "decision_date": "2026-01-12", "appointees": "Nguyễn Văn A – bí thư"}
ANNOUNCEMENT = {"decision_no": "45-QĐ/HU", "date": "2026-01-15", "signer": "Bí thư Huyện ủy", "text": "Công bố"}
APPT_C1 = {"position": "Phó Giám đốc Sở", "structure": "01 phó giám đốc", "seats": 1, "standards": "Theo QĐ 377",
           "candidates": ["Lê Văn C", "Phạm Thị D"]}
APPT_C3 = {"sc_assessment_no": "15-NX/TU", "sc_assessment_date": "2026-03-01", "sc_assessment": "Đủ tiêu chuẩn",
           "cond_in_plan": True, "cond_two_years": True, "cond_file_complete": True, "cond_retirement": True,
           "cond_no_discipline": True}


def tally(summoned, candidates, *, present=None, members=None) -> dict:
    """A consistent tally: everyone summoned (or `present`) votes validly."""
    present = summoned if present is None else present
    t = {"summoned": summoned, "present": present, "issued": present, "collected": present, "valid": present,
         "invalid": 0, "candidates": candidates}
    if members is not None:
        t["members"] = members
    return t


def code_of(call) -> str | None:
    """None if the call went through, else the error code it raised."""
    try:
        call()
    except WorkflowError as e:
        return e.code
    return None


def n_events(wf) -> int:
    with wf.store.core() as c:
        return c.execute(select(func.count()).select_from(events)).scalar_one()

# The demo (definitions/demo/*.yaml): its top unit and its users' password
DEMO_PROVINCE = "Tỉnh ủy Quảng Nam"
DEMO_PASSWORD = "demo-cadreflow-2026"
