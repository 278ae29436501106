package canonical

// Money is an exact amount: integer minor units of an ISO 4217 currency.
// The currency fixes the exponent (USD 2, JPY 0, KWD 3), so 5998 USD is $59.98.
type Money struct {
	// Amount is the value in the currency's minor units (cents for USD).
	Amount int64 `json:"amount"`
	// Currency is the ISO 4217 alphabetic code, e.g. "USD".
	Currency string `json:"currency"`
}
