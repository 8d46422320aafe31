"""Session fixtures for signing tests; import them where needed (`from ...fixtures import kit, renderer`)."""

import pytest

from tests.services.contracts.helpers import NOW


@pytest.fixture(scope="session")
def kit(settings):
    """The signing kit on the test var dir: the dev PKI is generated once per session."""
    from app.services.documents import MediaStore
    from app.wiring import signing_kit

    return signing_kit(settings, media=MediaStore(settings.media_dir), now=NOW)


@pytest.fixture(scope="session")
def renderer():
    from workers.engines.pdf import WeasyRenderer

    return WeasyRenderer()
