import httpx
import pytest

from app.config import Env


@pytest.fixture
async def prod_app(db, settings, redis_server):
    """The app as production runs it (CUNXIN_ENV=prod): borrowers may run only trusted documents."""
    from app.main import create_app

    application = create_app(settings.model_copy(update={"env": Env.PROD}), manage_db=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def prod_client(prod_app):
    transport = httpx.ASGITransport(app=prod_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False) as c:
        yield c
