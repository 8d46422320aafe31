"""Page routes; templates use url_for with these names."""

from starlette.routing import Route

from ui import auth, dashboard, lending
from ui import archive, outbox
from ui import risk

routes = [
    Route("/", dashboard.home, name="home"),
    Route("/login", auth.login_page, methods=["GET", "POST"], name="login"),
    Route("/logout", auth.logout, methods=["POST"], name="logout"),
    Route("/calculator", lending.calculator, name="calculator"),
    Route("/loans", lending.loan_list, name="loan_list"),
    Route("/loans/{loan_id}", lending.loan_detail, name="loan_detail"),
    Route("/loans/{loan_id}/repay", lending.loan_repay, methods=["POST"], name="loan_repay"),
    Route("/loans/{loan_id}/prepay", lending.loan_prepay, methods=["POST"], name="loan_prepay"),
    Route("/loans/{loan_id}/prepay-quote", lending.loan_prepay_quote, name="loan_prepay_quote"),
    Route("/lines/{line_id}", lending.line_detail, methods=["GET", "POST"], name="line_detail"),
    Route("/customers/{customer_id}/archive", archive.archive_page, name="customer_archive"),
    Route("/documents/{document_id}/download", archive.document_download, name="document_download"),
    Route("/admin/outbox", outbox.dead_letter_list, name="dead_letter_list"),
    Route("/admin/outbox/{message_id}/resend", outbox.dead_letter_resend, methods=["POST"], name="dead_letter_resend"),
    Route("/risk/warnings", risk.warning_list, name="warning_list"),
    Route("/risk/warnings/{warning_id}", risk.warning_detail, name="warning_detail"),
    Route("/risk/warnings/{warning_id}/handle", risk.warning_handle, methods=["POST"], name="warning_handle"),
    Route("/risk/collections", risk.task_list, name="task_list"),
    Route("/risk/collections/{task_id}", risk.task_detail, name="task_detail"),
    Route("/risk/collections/{task_id}/actions", risk.task_action, methods=["POST"], name="task_action"),
    Route("/risk/rulesets", risk.ruleset_page, methods=["GET", "POST"], name="ruleset_page"),
    Route("/risk/lists", risk.list_page, methods=["GET", "POST"], name="list_page"),
    Route("/risk/lists/{entry_id}/remove", risk.list_remove, methods=["POST"], name="list_remove"),
]
