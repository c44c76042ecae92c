"""One baselined lab image for every test that only needs "a hardened host": the contract tests
and the molecule scenarios that say so (their molecule.yml takes `${LZ_BASELINED_IMAGE...}`).
It is made once per machine and kept between runs until the lab image, the baseline or its
settings change; contract_test.baselined_image holds a file lock while it makes it, so two
workers never build it twice."""

import pytest

from landingzone.supplier_role.contract_test import baselined_image


@pytest.fixture(scope="session")
def baselined_host():
    return baselined_image(log=print)
