package canonical

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

// Money is an exact amount: integer minor units of an ISO 4217 currency.
// The currency fixes the exponent (USD 2, JPY 0, KWD 3), so 5998 USD is $59.98.
type Money struct {
	// Amount is the value in the currency's minor units (cents for USD).
	Amount int64 `json:"amount"`
	// Currency is the ISO 4217 alphabetic code, e.g. "USD".
	Currency string `json:"currency"`
}

// ErrMixedCurrencies is returned by arithmetic on amounts of different currencies.
var ErrMixedCurrencies = errors.New("mixed currencies")

// ParseMoney parses a decimal amount as platforms send it ("59.98", "-3.5",
// "1000") in the given ISO 4217 currency. It refuses anything that cannot be
// represented exactly: more significant decimal places than the currency has
// ("1.234" USD; "1.230" is fine), exponents, thousands separators, an unknown
// currency, or an amount that does not fit in int64 minor units. The currency
// code is upper-cased, so "usd" is accepted as USD.
func ParseMoney(s, currency string) (Money, error) {
	code := strings.ToUpper(strings.TrimSpace(currency))
	exp, ok := CurrencyExponent(code)
	if !ok {
		return Money{}, fmt.Errorf("parse money %q: unknown currency %q", s, currency)
	}
	amount, err := parseDecimal(strings.TrimSpace(s), exp)
	if err != nil {
		return Money{}, fmt.Errorf("parse money %q %s: %w", s, code, err)
	}
	return Money{Amount: amount, Currency: code}, nil
}

// parseDecimal turns a decimal string into an integer scaled by 10^exp, exactly.
func parseDecimal(s string, exp int) (int64, error) {
	if s == "" {
		return 0, errors.New("empty amount")
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") {
		return 0, errors.New("not a decimal number")
	}
	if !allDigits(intPart) || !allDigits(frac) {
		return 0, errors.New("not a decimal number")
	}
	// Trailing zeros beyond the exponent are exact; anything else is not.
	trimmed := strings.TrimRight(frac, "0")
	if len(trimmed) > exp {
		return 0, fmt.Errorf("more than %d decimal places", exp)
	}
	digits := intPart + trimmed + strings.Repeat("0", exp-len(trimmed))
	limit := uint64(math.MaxInt64)
	if neg {
		limit++ // -9223372036854775808 fits
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		d := uint64(digits[i] - '0')
		if v > (limit-d)/10 {
			return 0, errors.New("amount out of range")
		}
		v = v*10 + d
	}
	if neg {
		return int64(-v), nil //nolint:gosec // -v wraps to the right value for MinInt64
	}
	return int64(v), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Decimal formats the amount as a decimal string with exactly the currency's
// number of decimal places: 5998 USD is "59.98", 1000 JPY is "1000", -350 USD
// is "-3.50". A currency outside the table is formatted with no decimal places.
func (m Money) Decimal() string {
	exp, _ := CurrencyExponent(m.Currency)
	neg := m.Amount < 0
	abs := uint64(m.Amount)
	if neg {
		abs = -abs
	}
	digits := strconv.FormatUint(abs, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// String formats the amount with its currency: "59.98 USD".
func (m Money) String() string {
	if m.Currency == "" {
		return m.Decimal()
	}
	return m.Decimal() + " " + m.Currency
}

// IsZero reports whether the amount is zero, whatever the currency.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Add returns m + o. It refuses different currencies and overflow.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("add %s to %s: %w", o, m, ErrMixedCurrencies)
	}
	sum := m.Amount + o.Amount
	if (o.Amount > 0 && sum < m.Amount) || (o.Amount < 0 && sum > m.Amount) {
		return Money{}, fmt.Errorf("add %s to %s: amount out of range", o, m)
	}
	return Money{Amount: sum, Currency: m.Currency}, nil
}

// Sub returns m - o. It refuses different currencies and overflow.
func (m Money) Sub(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("subtract %s from %s: %w", o, m, ErrMixedCurrencies)
	}
	diff := m.Amount - o.Amount
	if (o.Amount < 0 && diff < m.Amount) || (o.Amount > 0 && diff > m.Amount) {
		return Money{}, fmt.Errorf("subtract %s from %s: amount out of range", o, m)
	}
	return Money{Amount: diff, Currency: m.Currency}, nil
}

// Mul returns m multiplied by a whole number, e.g. a unit price by a quantity.
// It refuses overflow.
func (m Money) Mul(n int64) (Money, error) {
	if m.Amount == 0 || n == 0 {
		return Money{Amount: 0, Currency: m.Currency}, nil
	}
	p := m.Amount * n
	if p/n != m.Amount || (m.Amount == -1 && n == math.MinInt64) || (n == -1 && m.Amount == math.MinInt64) {
		return Money{}, fmt.Errorf("multiply %s by %d: amount out of range", m, n)
	}
	return Money{Amount: p, Currency: m.Currency}, nil
}

// Sum adds amounts of one currency; the currency of an empty list is currency.
func Sum(currency string, amounts ...Money) (Money, error) {
	total := Money{Currency: currency}
	for _, a := range amounts {
		var err error
		if total, err = total.Add(a); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

// Allocate splits total across parts in proportion to weights (line subtotals,
// quantities) without losing or inventing a minor unit: the parts always sum
// exactly to total. Each part gets the floor of its exact share; the units left
// over go one each to the parts with the largest remainders, ties to the earlier
// part (largest-remainder method). A negative total is split like its absolute
// value and negated, so refunds allocate the same way as charges. Weights must
// not be negative and at least one must be positive; a zero weight gets zero.
func Allocate(total Money, weights []int64) ([]Money, error) {
	if !KnownCurrency(total.Currency) {
		return nil, fmt.Errorf("allocate %s: unknown currency %q", total, total.Currency)
	}
	if len(weights) == 0 {
		return nil, fmt.Errorf("allocate %s: no weights", total)
	}
	var sum uint64
	for i, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("allocate %s: weight %d is negative (%d)", total, i, w)
		}
		next := sum + uint64(w)
		if next < sum {
			return nil, fmt.Errorf("allocate %s: weights overflow", total)
		}
		sum = next
	}
	if sum == 0 {
		return nil, fmt.Errorf("allocate %s: weights sum to zero", total)
	}
	neg := total.Amount < 0
	abs := uint64(total.Amount)
	if neg {
		abs = -abs
	}
	parts := make([]uint64, len(weights))
	rems := make([]uint64, len(weights))
	var given uint64
	for i, w := range weights {
		// abs*w/sum never exceeds abs, so the 128-bit quotient fits in 64 bits.
		hi, lo := bits.Mul64(abs, uint64(w))
		parts[i], rems[i] = bits.Div64(hi, lo, sum)
		given += parts[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for k := uint64(0); k < abs-given; k++ {
		parts[order[k]]++
	}
	out := make([]Money, len(weights))
	for i, p := range parts {
		amount := int64(p) //nolint:gosec // p <= abs, which came from an int64
		if neg {
			amount = int64(-p) //nolint:gosec // as above, negated back
		}
		out[i] = Money{Amount: amount, Currency: total.Currency}
	}
	return out, nil
}
