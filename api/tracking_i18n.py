"""The buyer's tracking page in the buyer's language: the words of the page and of each
normalised tracking status (adapters/transport/carriers/tracking_codes.py) in English, German,
French and Spanish, and the choice of language: `?lang=`, else the browser's Accept-Language,
else the destination country's official language, else English. Dates are formatted by Babel
in that language."""

from __future__ import annotations

from babel.languages import get_official_languages

LANGUAGES = ("en", "de", "fr", "es")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Track your parcel",
        "to": "On its way to",
        "status": "Status",
        "carrier": "Carrier",
        "waybill": "Tracking number",
        "dispatched": "Dispatched",
        "expected": "Expected delivery",
        "promised": "Promised by",
        "delivered": "Delivered",
        "history": "History",
        "none": "No scans yet",
    },
    "de": {
        "title": "Sendungsverfolgung",
        "to": "Unterwegs nach",
        "status": "Status",
        "carrier": "Versanddienstleister",
        "waybill": "Sendungsnummer",
        "dispatched": "Versandt",
        "expected": "Voraussichtliche Zustellung",
        "promised": "Zugesagt bis",
        "delivered": "Zugestellt",
        "history": "Verlauf",
        "none": "Noch keine Scans",
    },
    "fr": {
        "title": "Suivre votre colis",
        "to": "En route vers",
        "status": "Statut",
        "carrier": "Transporteur",
        "waybill": "Numéro de suivi",
        "dispatched": "Expédié",
        "expected": "Livraison prévue",
        "promised": "Promis pour le",
        "delivered": "Livré",
        "history": "Historique",
        "none": "Pas encore de scan",
    },
    "es": {
        "title": "Seguimiento de su paquete",
        "to": "En camino a",
        "status": "Estado",
        "carrier": "Transportista",
        "waybill": "Número de seguimiento",
        "dispatched": "Enviado",
        "expected": "Entrega prevista",
        "promised": "Prometido para el",
        "delivered": "Entregado",
        "history": "Historial",
        "none": "Aún sin escaneos",
    },
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "pending": "Handed to the carrier",
        "picked_up": "Picked up",
        "in_transit": "In transit",
        "on_hold": "On hold",
        "out_for_delivery": "Out for delivery",
        "delivery_delayed": "Delivery delayed",
        "delivery_failed": "Delivery attempt failed",
        "ready_for_pickup": "Ready for pickup",
        "return_to_sender": "Returning to sender",
        "delivered": "Delivered",
        "cancelled": "Cancelled",
        "unknown": "Update from the carrier",
    },
    "de": {
        "pending": "An den Versanddienstleister übergeben",
        "picked_up": "Abgeholt",
        "in_transit": "Unterwegs",
        "on_hold": "Angehalten",
        "out_for_delivery": "In Zustellung",
        "delivery_delayed": "Zustellung verzögert",
        "delivery_failed": "Zustellversuch fehlgeschlagen",
        "ready_for_pickup": "Zur Abholung bereit",
        "return_to_sender": "Rücksendung an den Absender",
        "delivered": "Zugestellt",
        "cancelled": "Storniert",
        "unknown": "Meldung des Versanddienstleisters",
    },
    "fr": {
        "pending": "Remis au transporteur",
        "picked_up": "Pris en charge",
        "in_transit": "En transit",
        "on_hold": "En attente",
        "out_for_delivery": "En cours de livraison",
        "delivery_delayed": "Livraison retardée",
        "delivery_failed": "Échec de la tentative de livraison",
        "ready_for_pickup": "Disponible au retrait",
        "return_to_sender": "Retour à l'expéditeur",
        "delivered": "Livré",
        "cancelled": "Annulé",
        "unknown": "Information du transporteur",
    },
    "es": {
        "pending": "Entregado al transportista",
        "picked_up": "Recogido",
        "in_transit": "En tránsito",
        "on_hold": "Retenido",
        "out_for_delivery": "En reparto",
        "delivery_delayed": "Entrega retrasada",
        "delivery_failed": "Intento de entrega fallido",
        "ready_for_pickup": "Listo para recoger",
        "return_to_sender": "Devolución al remitente",
        "delivered": "Entregado",
        "cancelled": "Cancelado",
        "unknown": "Aviso del transportista",
    },
}


def from_accept_language(header: str | None) -> str | None:
    """The first language of the header (by q-value, then order) that the page speaks."""
    ranked = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower()[:2]))
    for negative_q, _, lang in sorted(ranked):
        if negative_q < 0 and lang in LANGUAGES:
            return lang
    return None


def for_country(country: str | None) -> str:
    """The destination country's first official language the page speaks (English if none)."""
    for lang in get_official_languages(country or "", de_facto=True) if country else ():
        if lang in LANGUAGES:
            return lang
    return "en"


def choose_language(asked: str | None, accept: str | None, country: str | None) -> str:
    """`asked` (already checked to be one of LANGUAGES) wins, then Accept-Language, then the
    destination country's language."""
    return asked or from_accept_language(accept) or for_country(country)
