"""One baselined lab image for every contract test of the session."""

import pytest
from contract_harness import baselined_image, remove_image


@pytest.fixture(scope="session")
def baselined_host(tmp_path_factory):
    host = baselined_image(tmp_path_factory.mktemp("contract-base"))
    yield host
    remove_image(host)
