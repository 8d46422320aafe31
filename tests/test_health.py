from app.services.jobs import ArqJobQueue
from arq.connections import RedisSettings


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_readyz_reports_database_and_redis(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "redis": "ok"}


async def test_readyz_stays_ready_when_redis_is_unreachable(app, client, settings):
    # readiness is about this web process and its database: a load balancer must not drop every
    # web process because the queue is away (pages keep their rows as the outbox meanwhile)
    app.state.queue = ArqJobQueue(RedisSettings(unix_socket_path=str(settings.var_dir / "nothing-here.sock"), conn_retries=0))
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "redis": "unavailable"}


async def test_request_id_is_echoed(client):
    response = await client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
