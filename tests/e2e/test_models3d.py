"""The 3D gallery in the browser (issue 8), embedded production build: ``tests/journeys_3d.py``."""

from __future__ import annotations

import pytest

from tests.journeys_3d import models3d_journey

pytestmark = pytest.mark.e2e


def test_generate_view_download_and_manage_versions(page, server, tmp_path):
    models3d_journey(page, tmp_path, {"DATA_DIR": str(server[1]), "DATABASE_URL": ""})
    assert not page.js_errors, page.js_errors
