"""The shortest secret the landing zone accepts, in the card's vault values and in the inventory's.

A module of its own, importing nothing of the landing zone: the card's vault reading and the runner's
secret collection both need it, and each imports the other's package."""

# A shorter secret is weak, and it cannot be redacted either: scrubbing "admin" or "2024"
# from every log line would blank ordinary words. So it is refused before any job starts.
MIN_SECRET_LENGTH = 12


def too_short(length: int) -> str:
    return (
        f"a secret of {length} characters is refused: it needs at least {MIN_SECRET_LENGTH} "
        "(a shorter one is weak, and too short to be redacted from logs)"
    )
