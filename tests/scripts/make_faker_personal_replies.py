#!/usr/bin/env python3
"""Builds tests/data/faker-personal-replies.jsonl: personalised assistant replies and user inputs
for the translation memory's privacy replay (tests/tests/memory_privacy.rs).

Values come from Faker (https://github.com/joke2k/faker, MIT licence), version 40.54.0, in its
en_US, es_ES, fr_FR and de_DE locales, seeded (SEED below) so the file is reproducible; the
sentences around them are constructed here. One line per session:

  {"session": 7, "locale": "fr_FR", "language": "fr",
   "context": {"skill_variables": {...}, "user_defined": {...}, "phone": "..."},
   "values": {"name": "...", ...},          every per-user value of the session
   "replies": ["...", ...],                  the assistant's personalised replies (English)
   "inputs": ["...", ...]}                   what the user writes, in the session's language

Run: python3 -m venv /tmp/faker-venv && /tmp/faker-venv/bin/pip install faker==40.54.0
     /tmp/faker-venv/bin/python tests/scripts/make_faker_personal_replies.py > tests/data/faker-personal-replies.jsonl
"""

import json
import random

from faker import Faker

SEED = 17
SESSIONS = 60
LOCALES = ["en_US", "es_ES", "fr_FR", "de_DE"]
LANGUAGE = {"es_ES": "es", "fr_FR": "fr", "de_DE": "de"}
CURRENCY = {"en_US": "${:,.2f}", "es_ES": "{} €", "fr_FR": "{} €", "de_DE": "{} €"}

# The assistant's replies, in its language (English), as an actions skill writes them from its
# variables ({name} ...) and from what a step looked up ({order}, {amount}, {date}).
REPLIES = [
    "Hi, {name}!",
    "Thanks, {first_name}, your order {order} has shipped.",
    "Your balance is {amount}.",
    "We will deliver to {street}, {postcode} {city} on {date}.",
    "We sent the receipt to {email}.",
    "Is {phone} still the best number to reach you, {first_name}?",
    "Your refund of {amount} goes to the account {iban}.",
    "Welcome back, {name} from {company}.",
    "{first_name}, your appointment is confirmed for {date}.",
]

# What users write, in their language, quoting their own details.
INPUTS = {
    "es": ["Me llamo {name}.", "Mi teléfono es el {phone}.", "Vivo en {street}, {city}.", "Mi correo es {email}"],
    "fr": ["Je m'appelle {name}.", "Mon numéro est le {phone}.", "J'habite {street}, {city}.", "Mon e-mail est {email}"],
    "de": ["Ich heiße {name}.", "Meine Nummer ist {phone}.", "Ich wohne in {street}, {city}.", "Meine E-Mail ist {email}"],
}

# The reply that quotes the user: the assistant echoes what it did not understand.
QUOTE = 'I didn\'t understand "{input}". Could you rephrase that?'


def amount(fake, locale):
    value = fake.pyfloat(left_digits=5, right_digits=2, positive=True, min_value=10)
    if locale == "en_US":
        return CURRENCY[locale].format(value)
    text = "{:,.2f}".format(value).replace(",", " ").replace(".", ",").replace(" ", ".")
    return CURRENCY[locale].format(text)


def session_values(fake, locale):
    first = fake.first_name()
    last = fake.last_name()
    return {
        "name": f"{first} {last}",
        "first_name": first,
        "email": fake.email(),
        "phone": fake.phone_number(),
        "street": fake.street_address(),
        "postcode": fake.postcode(),
        "city": fake.city(),
        "company": fake.company(),
        "iban": fake.iban(),
        "order": fake.bothify("??-######").upper(),
        "amount": amount(fake, locale),
        "date": fake.date(pattern="%d/%m/%Y"),
    }


def main():
    random.seed(SEED)
    fakers = {}
    for locale in LOCALES:
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(SEED + LOCALES.index(locale))
    for session in range(SESSIONS):
        locale = LOCALES[session % len(LOCALES)]
        language = LANGUAGE.get(locale, ["es", "fr", "de"][session // len(LOCALES) % 3])
        values = session_values(fakers[locale], locale)
        replies = [template.format(**values) for template in random.sample(REPLIES, 4)]
        inputs = [template.format(**values) for template in random.sample(INPUTS[language], 2)]
        replies.append(QUOTE.format(input=inputs[0]))
        # What the assistant keeps in its variables: everything a step could not look up anew.
        kept = ["name", "first_name", "email", "street", "postcode", "city", "company", "iban"]
        context = {
            "skill_variables": {key: values[key] for key in kept},
            "user_defined": {"customer_name": values["name"]},
            "phone": values["phone"],
        }
        line = {
            "session": session,
            "locale": locale,
            "language": language,
            "context": context,
            "values": values,
            "replies": replies,
            "inputs": inputs,
        }
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
