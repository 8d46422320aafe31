from __future__ import annotations

import strawberry

from app.api.errors import error_code
from app.api.lending.types import LoanError, LoanErrorCode, SchedulePreview, SchedulePreviewInput
from app.domain.errors import DomainError
from app.services.calculator import preview_schedule


@strawberry.type
class LendingQuery:
    @strawberry.field(description="还款计划试算（公开计算器，无需登录）")
    def schedule_preview(self, input: SchedulePreviewInput) -> SchedulePreview:
        try:
            schedule = preview_schedule(
                principal=input.principal,
                annual_rate_percent=input.annual_rate_percent,
                term_months=input.term_months,
                method=input.method.value,
                start_on=input.start_date,
                first_due_on=input.first_due_date,
            )
        except DomainError as exc:
            error = LoanError(field=exc.field, code=error_code(LoanErrorCode, exc), message=exc.message)
            return SchedulePreview(installments=[], total_interest=None, total_payment=None, errors=[error])
        return SchedulePreview.from_schedule(schedule)
