from tests.services.contracts.fixtures import kit, renderer  # noqa: F401  (fixtures: the online contract is signed as the visit's)
