"""The live player's plotly.js: the vendored basic bundle, while it is the version the plotly
package ships (an upgrade of plotly without a new bundle fails here, not in a user's browser)."""

from app_pages.live_parts import player


def test_the_vendored_basic_bundle_is_the_packages_plotly_js_version():
    assert player.plotly_js_version(player.BASIC_PLOTLY) == "4.1.1"
    assert player.plotly_js_version(player.PACKAGE_PLOTLY) == "4.1.1"
    assert player.PLOTLY_SOURCE == player.BASIC_PLOTLY
    assert player.PLOTLY_FILE == "plotly-basic-4.1.1.min.js"


def test_a_bundle_without_a_version_header_is_not_taken_for_one(tmp_path):
    bundle = tmp_path / "other.min.js"
    bundle.write_text("/* some other library v1.2.3 */")
    assert player.plotly_js_version(bundle) == ""
