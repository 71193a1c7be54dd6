"""Field labels as classifieds pages print them ("Price:", "Posted by:", "Додано:"...), in the languages we meet.

Each pattern is searched in a label folded to lower case; word boundaries
keep "Ort" from matching "Sort". Add a language by adding its words here.
"""

from __future__ import annotations

import re


def _words(words: str) -> re.Pattern[str]:
    """``"a|b c"`` -> a pattern matching either label as whole words (dots escaped)."""
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words.split("|")) + r")(?!\w)")


PRICE = _words(
    "price|salary|wage|wages|pay|compensation|rent|preis|lohn|gehalt|miete|prix|salaire|loyer|precio|"
    "salario|sueldo|prezzo|stipendio|prijs|loon|salaris|huur|cena|wynagrodzenie|płaca|czynsz|preț|pret|"
    "salariu|chirie|ціна|зарплата|заробітна плата|оплата|цена|зарплата|оклад"
)
DATE = _words(
    "posted|published|date posted|date|added|created|listed|placed|inseriert|inseriert am|online seit|"
    "erstellt|datum|eingestellt|publié|publié le|publicado|fecha|fecha de publicación|publicat|"
    "data publicării|publiée|publiée le|mis en ligne|dodane|adăugat|dodano|data dodania|opublikowano|"
    "geplaatst|geplaatst op|додано|опубліковано|дата|размещено|добавлено|опубликовано"
)
LOCATION = _words(
    "location|city|town|address|region|place|ort|standort|stadt|wohnort|lieu|ville|ubicación|ciudad|"
    "localidad|provincia|località|città|locatie|plaats|woonplaats|lokalizacja|miasto|miejscowość|locație|"
    "localitate|oraș|judet|județ|місто|місцезнаходження|адреса|город|местоположение|адрес|регіон|район"
)
AUTHOR = _words(
    "seller|vendor|posted by|author|advertiser|contact person|contact name|offered by|sold by|store|"
    "anbieter|verkäufer|inserent|ansprechpartner|vendeur|annonceur|anunciante|vendedor|publicado por|"
    "venditore|inserzionista|aangeboden door|adverteerder|verkoper|contactpersoon|sprzedający|"
    "ogłoszeniodawca|osoba kontaktowa|vânzător|autor|persoană de contact|продавець|продавец|автор|"
    "контактна особа|контактное лицо|розмістив|разместил"
)
NAME = _words("name|nume|nombre|nom|nome|naam|imię|ім'я|имя")
"""Weak author labels: only trusted inside a contact block."""
CATEGORY = _words(
    "category|kategorie|rubrik|catégorie|categoría|categoria|categorie|kategoria|рубрика|категорія|"
    "категория|розділ|раздел"
)
NATIVE_ID = _words(
    "ad id|ad ref|ad no|ad number|ref|reference|listing id|item id|post id|anzeigen-nr|anzeigen-nr.|"
    "anzeigennummer|anzeigen-id|inserat-nr|référence|referencia|id anuncio|riferimento|advertentienummer|"
    "numer ogłoszenia|id ogłoszenia|id anunț|nr. anunț|cod anunț|номер оголошення|номер объявления|"
    "код оголошення"
)
CONTACT = _words(
    "phone|tel|tel.|telephone|mobile|cell|whatsapp|viber|telegram|signal|e-mail|email|telefon|handy|"
    "mobil|téléphone|teléfono|móvil|telefono|cellulare|telefoon|mobiel|komórka|телефон|тел|моб|мобільний|"
    "телеграм|вайбер|почта|пошта"
)
UPDATED = _words(
    "modified|updated|last updated|edited|geändert|aktualisiert|modifié|mis à jour|modificado|"
    "actualizado|fecha de modificación|modificat|data modificării|actualizat|zmieniono|zaktualizowano|"
    "gewijzigd|bijgewerkt|оновлено|змінено|обновлено|изменено"
)
"""A second date (when the ad was edited): neither the posting date nor an attribute."""
"""Labels of the fields a listing has a place for: not repeated in ``extra.attributes``."""
CORE = (PRICE, DATE, LOCATION, AUTHOR, CATEGORY, NATIVE_ID, CONTACT, UPDATED)
"""Labels of the fields a listing has a place for: not repeated in ``extra.attributes``."""


def is_core(label: str) -> bool:
    folded = label.casefold()
    return any(pattern.search(folded) for pattern in CORE)
