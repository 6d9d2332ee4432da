"""个案补贴 (以案定补, DOMAIN §8): tariffs with effective dates, one claim per filed case, its approval chain, the
monthly payment batch and each mediator's yearly total. Amounts are Decimal in Python and NUMERIC in the database."""
