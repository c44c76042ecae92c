"""One baselined lab image for every contract test, kept between sessions until the baseline changes."""

import pytest

from landingzone.supplier_role.contract_test import baselined_image


@pytest.fixture(scope="session")
def baselined_host():
    return baselined_image(log=print)
