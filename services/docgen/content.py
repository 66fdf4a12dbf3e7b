"""Random but plausible content (names, addresses, amounts, dates) for each document kind, in English and Spanish."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

DOCUMENT_KINDS = ("receipt", "invoice", "form", "letter", "other")

_MERCHANTS = {
    "en": ["GREEN LEAF GROCERY", "SUNRISE CAFE", "CITY HARDWARE LTD", "BLUE OCEAN MART", "MAPLE BOOKSTORE", "QUICK STOP PHARMACY",
           "GOLDEN WOK RESTAURANT", "TECH POINT STORE", "FRESH BAKERY CO", "PARK AVENUE DELI"],
    "es": ["SUPERMERCADO EL SOL", "CAFETERIA LA PLAZA", "FERRETERIA GARCIA S.L.", "PANADERIA SAN JOSE", "FARMACIA CENTRAL",
           "RESTAURANTE CASA PEPE", "LIBRERIA CERVANTES", "FRUTERIA LA HUERTA", "BAR EL PUERTO", "TIENDA ELECTRO NORTE"],
}
_STREETS = {
    "en": ["Main Street", "Oak Avenue", "King Road", "Harbour Lane", "Station Road", "Elm Street", "Market Square"],
    "es": ["Calle Mayor", "Avenida de la Paz", "Calle del Carmen", "Plaza de Espana", "Calle Real", "Paseo Maritimo"],
}
_CITIES = {
    "en": ["Springfield", "Riverside", "Kuala Lumpur", "Manchester", "Portland", "Brighton"],
    "es": ["Madrid", "Sevilla", "Valencia", "Bilbao", "Zaragoza", "Malaga"],
}
_ITEMS = {
    "en": ["Milk 1L", "Bread", "Coffee", "Eggs x12", "Apples", "Cheese", "Water 500ml", "Notebook", "Batteries AA", "Tea",
           "Sandwich", "Orange juice", "Rice 1kg", "Chicken", "Soap"],
    "es": ["Leche 1L", "Pan", "Cafe", "Huevos x12", "Manzanas", "Queso", "Agua 500ml", "Cuaderno", "Pilas AA", "Te",
           "Bocadillo", "Zumo naranja", "Arroz 1kg", "Pollo", "Jabon"],
}
_PEOPLE = ["Maria Lopez", "John Carter", "Ana Fernandez", "David Smith", "Laura Martin", "Peter Brown", "Lucia Gomez", "Emma Wilson"]
_COMPANIES = ["Acme Supplies Ltd", "Northwind Traders", "Iberia Consulting S.L.", "Global Parts Inc", "Soluciones Tecnicas S.A.",
              "Bright Office Co", "Delta Logistics", "Contoso Services"]
_FORM_KEYS = {
    "en": ["Name", "Date of birth", "Address", "Phone", "Email", "Employer", "Position", "Signature", "City", "Postal code"],
    "es": ["Nombre", "Fecha de nacimiento", "Direccion", "Telefono", "Correo", "Empresa", "Cargo", "Firma", "Ciudad", "Codigo postal"],
}
_LOREM = ("the committee reviewed the proposal and agreed to continue the project during the next quarter while the team "
          "prepares a detailed report on costs schedule and risks for the board meeting in the spring").split()
_LOREM_ES = ("el comite reviso la propuesta y acordo continuar el proyecto durante el proximo trimestre mientras el equipo "
             "prepara un informe detallado sobre costes plazos y riesgos para la reunion del consejo en primavera").split()


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


@dataclass
class Content:
    """Ground-truth fields plus the text lines to draw, in reading order."""

    kind: str
    lang: str
    fields: dict[str, object] = field(default_factory=dict)


def _date(rng: random.Random) -> date:
    return date(2017, 1, 1) + timedelta(days=rng.randrange(0, 3000))


def format_date(d: date, lang: str, rng: random.Random) -> str:
    styles = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"] if lang == "es" else ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d %b %Y"]
    return d.strftime(rng.choice(styles))


def address(rng: random.Random, lang: str) -> str:
    return f"{rng.randint(1, 250)} {rng.choice(_STREETS[lang])}, {rng.choice(_CITIES[lang])}"


def line_items(rng: random.Random, lang: str, n: int) -> list[dict[str, str]]:
    items = []
    for name in rng.sample(_ITEMS[lang], n):
        qty = rng.randint(1, 4)
        unit = Decimal(rng.randint(50, 4000)) / 100
        items.append({"description": name, "quantity": str(qty), "unit_price": money(unit), "amount": money(unit * qty)})
    return items


def people(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(_PEOPLE, 2)
    return a, b


def words(rng: random.Random, lang: str, n: int) -> str:
    vocab = _LOREM_ES if lang == "es" else _LOREM
    return " ".join(rng.choice(vocab) for _ in range(n))


def merchant(rng: random.Random, lang: str) -> str:
    return rng.choice(_MERCHANTS[lang])


def company(rng: random.Random) -> str:
    return rng.choice(_COMPANIES)


def form_keys(rng: random.Random, lang: str, n: int) -> list[str]:
    return rng.sample(_FORM_KEYS[lang], n)


def random_date(rng: random.Random) -> date:
    return _date(rng)


def form_value(rng: random.Random, lang: str, key: str) -> str:
    """A value that fits the form key (a name for Name, a date for Date of birth, ...)."""
    k = key.lower()
    if k in ("name", "nombre", "signature", "firma"):
        return people(rng)[0]
    if "date" in k or "fecha" in k:
        return random_date(rng).strftime("%d/%m/%Y")
    if k in ("address", "direccion"):
        return address(rng, lang)
    if k in ("phone", "telefono"):
        return f"+34 {rng.randint(600, 699)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    if k in ("email", "correo"):
        return f"{people(rng)[0].split()[0].lower()}@example.com"
    if k in ("city", "ciudad"):
        return rng.choice(_CITIES[lang])
    if k in ("postal code", "codigo postal"):
        return f"{rng.randint(1000, 52999):05d}"
    if k in ("employer", "empresa"):
        return company(rng)
    return words(rng, lang, rng.randint(1, 3)).capitalize()
