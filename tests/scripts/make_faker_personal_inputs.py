#!/usr/bin/env python3
"""Writes tests/data/faker-personal-inputs.jsonl: personal values from Python Faker (MIT licence)
in short user sentences, for the masking tests (tests/tests/mask.rs), and negative samples
(version and order numbers, dates, amounts, product codes) that must not be masked.

Reproduce (prints nothing on success):
    python3 -m venv /tmp/faker-venv
    /tmp/faker-venv/bin/pip install faker==40.54.0 phonenumbers==9.0.43
    /tmp/faker-venv/bin/python tests/scripts/make_faker_personal_inputs.py

`phonenumbers` (Apache-2.0, the Python port of Google's libphonenumber, the metadata the Rust
`phonenumber` crate also ships) only annotates each phone sample with `valid`: whether the
number exists in the numbering plan of its region, since Faker's numbers are random digits in
the locale's formats and many are not.
"""

import json
import pathlib

import faker
import phonenumbers
from faker import Faker

SEED = 17
LOCALES = {"en_US": "US", "es_ES": "ES", "fr_FR": "FR", "de_DE": "DE"}
PER_KIND = 12
CARD_TYPES = ["visa16", "visa13", "visa19", "mastercard", "amex", "discover", "diners", "jcb15", "jcb16", "maestro"]

TEMPLATES = {
    "en_US": {
        "email": ["My email is {v}, please write to me there.", "You can reach me at {v}"],
        "phone": ["Call me back on {v} please", "my number is {v}"],
        "card": ["I paid with the card {v} yesterday", "card number {v}"],
        "iban": ["Please refund to my account {v}", "IBAN: {v}"],
        "ip": ["I can't log in from {v}, it says blocked", "the server at {v} is down"],
        "none": ["Order {v} has not arrived yet", "I'm on version {v} of the app", "It was delivered on {v}",
                 "The total was {v}", "Reference {v} please"],
    },
    "es_ES": {
        "email": ["Mi correo es {v}, escríbeme allí.", "Podéis contactarme en {v}"],
        "phone": ["Llámame al {v} por favor", "mi número es {v}"],
        "card": ["Pagué con la tarjeta {v} ayer", "número de tarjeta {v}"],
        "iban": ["Devolvedlo a mi cuenta {v}", "IBAN: {v}"],
        "ip": ["No puedo entrar desde {v}, dice bloqueado", "el servidor {v} no responde"],
        "none": ["El pedido {v} todavía no ha llegado", "Tengo la versión {v} de la aplicación",
                 "Se entregó el {v}", "El total fue {v}", "Referencia {v} por favor"],
    },
    "fr_FR": {
        "email": ["Mon adresse est {v}, écrivez-moi.", "Vous pouvez me joindre à {v}"],
        "phone": ["Rappelez-moi au {v} s'il vous plaît", "mon numéro est le {v}"],
        "card": ["J'ai payé avec la carte {v} hier", "numéro de carte {v}"],
        "iban": ["Remboursez sur mon compte {v}", "IBAN : {v}"],
        "ip": ["Je ne peux pas me connecter depuis {v}, c'est bloqué", "le serveur {v} ne répond plus"],
        "none": ["La commande {v} n'est pas arrivée", "J'ai la version {v} de l'application",
                 "Livré le {v}", "Le total était de {v}", "Référence {v} svp"],
    },
    "de_DE": {
        "email": ["Meine E-Mail ist {v}, schreiben Sie mir bitte.", "Sie erreichen mich unter {v}"],
        "phone": ["Rufen Sie mich bitte unter {v} zurück", "meine Nummer ist {v}"],
        "card": ["Ich habe gestern mit der Karte {v} bezahlt", "Kartennummer {v}"],
        "iban": ["Bitte auf mein Konto {v} erstatten", "IBAN: {v}"],
        "ip": ["Ich kann mich von {v} nicht anmelden, es heißt gesperrt", "der Server {v} antwortet nicht"],
        "none": ["Die Bestellung {v} ist nicht angekommen", "Ich habe Version {v} der App",
                 "Geliefert am {v}", "Die Summe war {v}", "Referenz {v} bitte"],
    },
}


def grouped(value, size=4):
    return " ".join(value[i:i + size] for i in range(0, len(value), size))


def phone_valid(value, region):
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False


def values(fake, locale, region):
    for _ in range(PER_KIND):
        yield "email", "plain", fake.email()
    for _ in range(PER_KIND):
        number = fake.phone_number()
        fmt = "intl" if number.startswith("+") else "national"
        yield "phone", fmt, number
    for index in range(PER_KIND):
        number = fake.credit_card_number(card_type=CARD_TYPES[index % len(CARD_TYPES)])
        yield "card", "grouped" if index % 2 else "plain", grouped(number) if index % 2 else number
    for index in range(PER_KIND):
        iban = fake.iban()
        yield "iban", "grouped" if index % 2 else "plain", grouped(iban) if index % 2 else iban
    for index in range(PER_KIND):
        yield ("ip", "v4", fake.ipv4()) if index % 2 else ("ip", "v6", fake.ipv6())


def negatives(fake):
    yield "order", fake.numerify("#########")
    yield "order", fake.bothify("ORD-####-??").upper()
    yield "version", f"{fake.random_int(1, 20)}.{fake.random_int(0, 30)}.{fake.random_int(0, 99)}"
    yield "version", f"{fake.random_int(1, 12)}.{fake.random_int(0, 9)}.{fake.random_int(1000, 30000)}"
    yield "date", fake.date(pattern="%d.%m.%Y")
    yield "date", fake.date(pattern="%d/%m/%Y")
    yield "date", fake.date(pattern="%Y-%m-%d")
    yield "amount", fake.pricetag()
    yield "product", fake.ean13()
    yield "product", fake.isbn13()


def rows():
    for locale, region in LOCALES.items():
        fake = Faker(locale)
        fake.seed_instance(SEED)
        templates = TEMPLATES[locale]
        for index, (kind, fmt, value) in enumerate(values(fake, locale, region)):
            row = {"locale": locale, "region": region, "kind": kind, "format": fmt, "value": value}
            if kind == "phone":
                row["valid"] = phone_valid(value, region)
            row["text"] = templates[kind][index % len(templates[kind])].format(v=value)
            yield row
        for index in range(3):
            for what, value in negatives(fake):
                template = templates["none"][index % len(templates["none"])]
                yield {"locale": locale, "region": region, "kind": "none", "format": what, "value": value,
                       "text": template.format(v=value)}


def main():
    assert faker.VERSION == "40.54.0", faker.VERSION
    out = pathlib.Path(__file__).resolve().parents[1] / "data" / "faker-personal-inputs.jsonl"
    with out.open("w", encoding="utf-8") as file:
        for row in rows():
            file.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
