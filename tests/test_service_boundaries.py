"""Services are separate processes that may run on separate machines: each imports only its own package, the shared
`iris_common` (contract) and `iris_models` (model code two services truly need), never another service's package.
`docgen`, the test-data generator, is imported only inside the setup-time functions named below.

Checked on the source (ast, every import wherever it sits, plus `importlib.import_module("...")` with a literal name)
and on a fresh interpreter that imports each service's app factory.
"""

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVICES_DIR = Path(__file__).resolve().parents[1] / "services"
SERVICE_PACKAGES = ("image_processor", "ml_embeddings", "ml_classifier", "ocr_extractor")
SHARED_PACKAGES = ("iris_common", "iris_models")
GENERATOR = "docgen"

# module -> the functions that may import docgen: run by `iris setup` (and benchmarks), never by a serving process.
SETUP_TIME_DOCGEN = {
    "ml_classifier.models.prepare": {"generated_pages"},  # the default classifier's training pages
    "ocr_extractor.models.calibrate": {"docgen_documents"},  # the field-confidence calibration's documents (prepare_calibration)
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted
    line: int
    function: str | None  # the outermost enclosing function, None at module level (incl. class bodies)

    @property
    def top(self) -> str:
        return self.target.split(".")[0]

    def __str__(self) -> str:
        where = f"in {self.function}()" if self.function else "at module level"
        return f"{self.module}:{self.line} imports {self.target} {where}"


def module_name(path: Path, services_dir: Path) -> str:
    parts = list(path.relative_to(services_dir).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, services_dir: Path) -> list[Import]:
    module = module_name(path, services_dir)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and function is None:
                inner = child.name
            if isinstance(child, ast.Import):
                found.extend(Import(module, alias.name, child.lineno, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:  # relative: resolve against this module's package
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                found.append(Import(module, target, child.lineno, function))
            elif (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute | ast.Name)
                  and (child.func.attr if isinstance(child.func, ast.Attribute) else child.func.id) in ("import_module", "__import__")
                  and child.args and isinstance(child.args[0], ast.Constant) and isinstance(child.args[0].value, str)):
                found.append(Import(module, child.args[0].value, child.lineno, function))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), None)
    return found


def modules_of(package: str, services_dir: Path) -> list[Path]:
    return sorted((services_dir / package).rglob("*.py"))


def violations(package: str, services_dir: Path = SERVICES_DIR) -> list[str]:
    """Every import of `package`'s modules that crosses a service boundary."""
    others = set(SERVICE_PACKAGES) - {package}
    problems = []
    for path in modules_of(package, services_dir):
        for imp in imports_of(path, services_dir):
            if imp.top in others:
                problems.append(f"{imp}: another service's package")
            elif imp.top == GENERATOR and imp.function not in SETUP_TIME_DOCGEN.get(imp.module, set()):
                problems.append(f"{imp}: docgen outside the setup-time functions {SETUP_TIME_DOCGEN.get(imp.module, set()) or '{}'}")
            elif package in SHARED_PACKAGES and imp.top in set(SERVICE_PACKAGES) | {GENERATOR}:
                problems.append(f"{imp}: a shared package must not depend on a service or on docgen")
    return problems


@pytest.mark.parametrize("package", SERVICE_PACKAGES + SHARED_PACKAGES)
def test_package_imports_stay_inside_its_boundary(package: str) -> None:
    assert modules_of(package, SERVICES_DIR), f"no modules found for {package}"
    assert violations(package) == []


def test_setup_time_docgen_functions_exist() -> None:
    """The allow-list names real functions, so it cannot silently outlive the code it excuses."""
    for module, functions in SETUP_TIME_DOCGEN.items():
        path = SERVICES_DIR / (module.replace(".", "/") + ".py")
        defined = {n.name for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.FunctionDef)}
        assert functions <= defined, (module, functions - defined)


def test_the_checker_sees_a_crossing(tmp_path: Path) -> None:
    """A lazy import of another service inside a function, and docgen at module level, are both caught."""
    pkg = tmp_path / "image_processor" / "models"
    pkg.mkdir(parents=True)
    (pkg.parent / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "reader.py").write_text("import docgen\n\ndef path():\n    from ocr_extractor.models.prepare import REC\n    return REC\n")
    found = violations("image_processor", tmp_path)
    assert len(found) == 2 and any("docgen" in p for p in found) and any("ocr_extractor" in p for p in found), found


@pytest.mark.parametrize("package", SERVICE_PACKAGES)
def test_serving_process_imports_no_other_service(package: str) -> None:
    """What a service's process really imports when it builds its app (uvicorn --factory <pkg>.main:build_app)."""
    forbidden = sorted((set(SERVICE_PACKAGES) - {package}) | {GENERATOR})
    code = (f"import sys, {package}.main\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(forbidden)!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", f"{package}.main pulls in {out.stdout.strip()}"
