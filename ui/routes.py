"""Page routes; templates use url_for with these names."""

from starlette.routing import Route

from ui import auth, dashboard

routes = [
    Route("/", dashboard.home, name="home"),
    Route("/login", auth.login_page, methods=["GET", "POST"], name="login"),
    Route("/logout", auth.logout, methods=["POST"], name="logout"),
]
