"""Shop words to nomenclature words: a small tariff index for the HS suggester.

Buyers and listings say "charger", "earbuds", "plush toy", "yoga mat"; the HS says "static
converters", "headphones and earphones", "toys", "gymnastics equipment". Neither TF-IDF nor a
small word-embedding model bridges all of these, so a query whose words include every trigger
word of a rule is looked up with the rule's words added (`expand`). The additions are shown in
the answer (`looked_up`), so a person sees why a subheading came up.

Written from general trade vocabulary, the dev split's misses and the product kinds the issue
names (phone cases, chargers, LED lamps, T-shirts, yoga mats, tea, cosmetics, toys, bike lights,
batteries); the test split was never read item by item (scripts/bench_hs.py reports both, with
and without the glossary). Triggers are normalised words (domains/customs/hs_suggest.words).
"""

from __future__ import annotations

GLOSSARY_VERSION = "hs-glossary/1"

_RULES: tuple[tuple[str, str], ...] = (
    # power
    ("battery rechargeable", "electric accumulators"),
    ("li ion", "lithium-ion accumulators"),
    ("lithium ion battery", "lithium-ion accumulators"),
    ("power bank", "lithium-ion accumulators"),
    ("charger", "electrical static converters"),
    ("power adapter", "electrical static converters"),
    ("power supply", "electrical static converters"),
    # phones, audio, computers
    ("phone case", "cases containers"),
    ("phone cover", "cases containers"),
    ("phone pouch", "cases containers"),
    ("smartphone cover", "cases containers"),
    ("smartphone", "telephones for cellular networks smartphones"),
    ("earbud", "headphones earphones"),
    ("speaker", "loudspeakers"),
    ("laptop", "automatic data processing machines portable"),
    ("notebook computer", "automatic data processing machines portable"),
    ("tablet computer", "automatic data processing machines portable"),
    ("keyboard", "input units automatic data processing machines"),
    ("mouse computer", "input units automatic data processing machines"),
    ("memory card", "solid-state non-volatile storage devices"),
    ("flash drive", "solid-state non-volatile storage devices"),
    ("router", "communication apparatus reception transmission data network"),
    ("wifi", "communication apparatus reception transmission data network"),
    ("smart watch", "communication apparatus reception transmission data network"),
    ("smartwatch", "communication apparatus reception transmission data network"),
    ("drone", "unmanned aircraft"),
    # domestic appliances
    ("toothbrush electric", "electro-mechanical domestic appliances"),
    ("coffee maker", "electro-thermic coffee or tea makers"),
    ("coffee machine", "electro-thermic coffee or tea makers"),
    ("scale kitchen", "weighing machines household"),
    ("scale bathroom", "weighing machines personal"),
    # lighting
    ("led bulb", "lamps light-emitting diode"),
    ("desk lamp", "luminaires table desk"),
    ("desk light", "luminaires"),
    ("table lamp", "luminaires table desk"),
    ("flashlight", "portable electric lamps own source of energy"),
    ("torch", "portable electric lamps own source of energy"),
    ("headlamp", "portable electric lamps own source of energy"),
    ("bike", "bicycle cycles"),
    ("bicycle light", "lighting signalling equipment cycles"),
    ("bike light", "lighting signalling equipment cycles"),
    ("bike headlight", "lighting signalling equipment cycles"),
    # apparel, footwear, bags
    ("sweater", "jerseys pullovers"),
    ("hoodie", "jerseys pullovers sweatshirts"),
    ("jumper", "jerseys pullovers"),
    ("legging", "trousers"),
    ("jean", "trousers"),
    ("bra", "brassieres"),
    ("boxer", "underpants briefs"),
    ("pyjama", "pyjamas nightdresses"),
    ("pajama", "pyjamas nightdresses"),
    ("swimsuit", "swimwear"),
    ("romper", "babies garments"),
    ("bodysuit baby", "babies garments"),
    ("sneaker", "footwear"),
    ("shoe", "footwear"),
    ("boot", "footwear"),
    ("sandal", "footwear"),
    ("flip flop", "footwear"),
    ("cap", "hats headgear"),
    ("backpack", "rucksacks containers"),
    ("suitcase", "suit-cases trunks"),
    ("trolley", "suit-cases trunks"),
    ("wallet", "wallets purses"),
    # sport, toys, games
    ("yoga mat", "gymnastics physical exercise equipment"),
    ("dumbbell", "gymnastics physical exercise equipment"),
    ("resistance band", "gymnastics physical exercise equipment"),
    ("fitness", "gymnastics physical exercise equipment"),
    ("plush", "toys"),
    ("stuffed toy", "toys"),
    ("teddy", "toys"),
    ("building block", "toys"),
    ("remote control car", "toys"),
    ("doll", "toys dolls"),
    ("chess", "board games"),
    ("board game", "board games"),
    ("halloween", "festive carnival entertainment articles"),
    ("costume", "festive carnival entertainment articles"),
    # cosmetics, food, household
    ("lipstick", "lip make-up preparations"),
    ("eyeshadow", "eye make-up preparations"),
    ("mascara", "eye make-up preparations"),
    ("nail polish", "manicure preparations"),
    ("face powder", "cosmetic powders"),
    ("sunscreen", "beauty skin care preparations"),
    ("face cream", "beauty skin care preparations"),
    ("perfume", "perfumes"),
    ("cookie", "sweet biscuits"),
    ("noodle", "pasta noodles"),
    ("skillet", "table kitchen household articles"),
    ("frying pan", "table kitchen household articles"),
    ("vase", "glassware indoor decoration"),
    ("tape measure", "measuring instruments length"),
)


def _rules() -> tuple[tuple[frozenset[str], str], ...]:
    from domains.customs.hs_suggest import words  # the same normalisation as the index

    return tuple((frozenset(words(trigger)), add) for trigger, add in _RULES)


def expansions(query_words: set[str]) -> list[str]:
    """The nomenclature words to add for a query with these (normalised) words, in rule order,
    once each."""
    out: list[str] = []
    for trigger, add in _compiled():
        if trigger <= query_words and add not in out:
            out.append(add)
    return out


_cache: list[tuple[tuple[frozenset[str], str], ...]] = []


def _compiled() -> tuple[tuple[frozenset[str], str], ...]:
    if not _cache:
        _cache.append(_rules())
    return _cache[0]
