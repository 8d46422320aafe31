"""Page routes; templates use url_for with these names."""

from starlette.routing import Route

from ui import auth, dashboard, lending

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
]
