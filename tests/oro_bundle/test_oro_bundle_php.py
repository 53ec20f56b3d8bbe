"""The companion Oro bundle's PHP, checked with the real tools: ``php -l`` on every file and its
PHPUnit suite (oro-bundle/phpunit.xml.dist), which runs the processors against real Symfony forms,
validator and container and against fakes of the Oro classes they call (oro-bundle/Tests/Fakes).
No Oro is installed here; .ci/run installs PHP, PHPUnit and the Symfony components from Debian."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_api_yml import BUNDLE

INSTALL_PHP = "install php-cli and phpunit: apt-get install -y php-cli phpunit"
SYMFONY = (
    "php-symfony-form",
    "php-symfony-validator",
    "php-symfony-security-core",
    "php-symfony-dependency-injection",
    "php-symfony-config",
    "php-symfony-yaml",
)
PHP_FILES = sorted(BUNDLE.rglob("*.php"))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(INSTALL_PHP)
    return path


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_bundle_has_its_php_files() -> None:
    names = {str(p.relative_to(BUNDLE)) for p in PHP_FILES}
    assert {
        "ReconcilerDotmailerApiBundle.php",
        "DependencyInjection/ReconcilerDotmailerApiExtension.php",
        "Api/Model/IntegrationSync.php",
        "Api/Processor/EncryptTransportSecrets.php",
        "Api/Processor/LoadIntegrationSync.php",
        "Api/Processor/ScheduleIntegrationSync.php",
        "Api/Processor/SetDataFieldForceRemove.php",
        "Api/Processor/SetDotmailerConnectors.php",
        "Api/Processor/SetIntegrationSyncIdentifierGenerator.php",
        "Api/Processor/ValidateIntegrationSync.php",
    } <= names


@pytest.mark.parametrize("path", PHP_FILES, ids=lambda p: str(p.relative_to(BUNDLE)))
def test_php_lint(path: object) -> None:
    php = _tool("php")
    result = _run(php, "-l", str(path))
    assert (result.returncode, result.stderr) == (0, ""), result.stdout


def _test_methods() -> set[str]:
    """Every test method in the suite's source, as ``Namespace\\Class::method``."""
    found = set()
    for path in sorted((BUNDLE / "Tests" / "Unit").rglob("*Test.php")):
        source = path.read_text(encoding="utf-8")
        namespace = re.search(r"^namespace ([\w\\]+);", source, flags=re.MULTILINE)
        cls = re.search(r"^final class (\w+Test) extends TestCase", source, flags=re.MULTILINE)
        assert namespace and cls, path
        for method in re.findall(r"public function (test\w+)\(", source):
            found.add(f"{namespace.group(1)}\\{cls.group(1)}::{method}")
    return found


def test_phpunit_suite_passes(tmp_path: Path) -> None:
    phpunit = _tool("phpunit")
    php = _tool("php")
    probe = _run(
        php,
        "-r",
        "echo stream_resolve_include_path('Symfony/Component/Form/autoload.php') ? 1 : 0;",
    )
    if probe.stdout != "1":
        pytest.skip("install the Symfony components: apt-get install -y " + " ".join(SYMFONY))
    junit = tmp_path / "junit.xml"
    result = _run(phpunit, "-c", str(BUNDLE), "--do-not-cache-result", "--log-junit", str(junit))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^OK \(\d+ tests, \d+ assertions\)$", output, flags=re.MULTILINE), output
    cases = ET.parse(junit).getroot().iter("testcase")
    ran = {f"{c.get('class')}::{str(c.get('name')).split(' with data set ')[0]}" for c in cases}
    assert ran == _test_methods()
