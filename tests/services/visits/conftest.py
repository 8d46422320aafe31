from tests.services.contracts.fixtures import kit, renderer  # noqa: F401  (fixtures)
