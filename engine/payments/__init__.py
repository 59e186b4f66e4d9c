"""Payment provider adapters (DESIGN.md "Payments"): Telegram Stars invoice payloads and the Stripe
Checkout client. The use cases that turn payments into purchases live in engine/services/payments.py
(grants, refunds, records) and engine/services/stripe_events.py (Stripe's webhook events)."""
