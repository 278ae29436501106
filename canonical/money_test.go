package canonical

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCurrencyExponent_FollowsISO4217(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CAD", 2}, {"MXN", 2},
		{"JPY", 0}, {"KRW", 0}, {"CLP", 0}, {"ISK", 0}, {"VND", 0}, {"XOF", 0},
		{"KWD", 3}, {"BHD", 3}, {"JOD", 3}, {"OMR", 3}, {"TND", 3}, {"IQD", 3}, {"LYD", 3},
		{"CLF", 4}, {"UYW", 4},
	}
	for _, tt := range tests {
		got, ok := CurrencyExponent(tt.code)
		if !ok || got != tt.want {
			t.Errorf("CurrencyExponent(%q) = %d, %v; want %d, true", tt.code, got, ok, tt.want)
		}
	}
	for _, code := range []string{"", "usd", "XXX", "XAU", "XTS", "HRK", "US", "USDD"} {
		if _, ok := CurrencyExponent(code); ok {
			t.Errorf("CurrencyExponent(%q) known; want unknown", code)
		}
	}
	codes := Currencies()
	if len(codes) < 160 {
		t.Errorf("table has %d codes; ISO 4217 has more than 160 active ones", len(codes))
	}
	for _, c := range codes {
		if len(c) != 3 || strings.ToUpper(c) != c {
			t.Errorf("malformed code %q in the table", c)
		}
	}
}

func TestParseMoney_ExactAcrossExponents(t *testing.T) {
	tests := []struct {
		in, cur string
		want    Money
	}{
		{"59.98", "USD", Money{5998, "USD"}},
		{"0.01", "USD", Money{1, "USD"}},
		{"59.9", "USD", Money{5990, "USD"}},
		{"59", "USD", Money{5900, "USD"}},
		{"59.980", "USD", Money{5998, "USD"}}, // trailing zeros are exact
		{"-3.5", "USD", Money{-350, "USD"}},
		{"+12.00", "EUR", Money{1200, "EUR"}},
		{" 7.25 ", "usd", Money{725, "USD"}}, // Stripe sends lower case
		{"0", "USD", Money{0, "USD"}},
		{"-0.00", "USD", Money{0, "USD"}},
		{"1000", "JPY", Money{1000, "JPY"}},
		{"1000.00", "JPY", Money{1000, "JPY"}},
		{"-250", "CLP", Money{-250, "CLP"}},
		{"1.234", "KWD", Money{1234, "KWD"}},
		{"1.2", "BHD", Money{1200, "BHD"}},
		{"-0.005", "KWD", Money{-5, "KWD"}},
		{"0.0001", "CLF", Money{1, "CLF"}},
		{"92233720368547758.07", "USD", Money{math.MaxInt64, "USD"}},
		{"-92233720368547758.08", "USD", Money{math.MinInt64, "USD"}},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in, tt.cur)
		if err != nil || got != tt.want {
			t.Errorf("ParseMoney(%q, %q) = %v, %v; want %v", tt.in, tt.cur, got, err, tt.want)
		}
	}
}

func TestParseMoney_RefusesWhatCannotBeExact(t *testing.T) {
	tests := []struct {
		in, cur, wantErr string
	}{
		{"1.234", "USD", "more than 2 decimal places"},
		{"1000.5", "JPY", "more than 0 decimal places"},
		{"0.0005", "KWD", "more than 3 decimal places"},
		{"", "USD", "empty"},
		{"abc", "USD", "not a decimal number"},
		{"1,000.00", "USD", "not a decimal number"},
		{"1e3", "USD", "not a decimal number"},
		{"12.", "USD", "not a decimal number"},
		{".5", "USD", "not a decimal number"},
		{"--1", "USD", "not a decimal number"},
		{"1.2.3", "USD", "not a decimal number"},
		{"$5.00", "USD", "not a decimal number"},
		{"NaN", "USD", "not a decimal number"},
		{"1.00", "XYZ", "unknown currency"},
		{"1.00", "", "unknown currency"},
		{"92233720368547758.08", "USD", "out of range"},
		{"-92233720368547758.09", "USD", "out of range"},
		{"99999999999999999999999", "JPY", "out of range"},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in, tt.cur)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseMoney(%q, %q) = %v, %v; want error containing %q", tt.in, tt.cur, got, err, tt.wantErr)
		}
	}
}

func TestMoney_FormatsWithTheCurrencyExponent(t *testing.T) {
	tests := []struct {
		m           Money
		dec, String string
	}{
		{Money{5998, "USD"}, "59.98", "59.98 USD"},
		{Money{5, "USD"}, "0.05", "0.05 USD"},
		{Money{-350, "USD"}, "-3.50", "-3.50 USD"},
		{Money{-5, "EUR"}, "-0.05", "-0.05 EUR"},
		{Money{0, "USD"}, "0.00", "0.00 USD"},
		{Money{1000, "JPY"}, "1000", "1000 JPY"},
		{Money{-7, "CLP"}, "-7", "-7 CLP"},
		{Money{1234, "KWD"}, "1.234", "1.234 KWD"},
		{Money{5, "BHD"}, "0.005", "0.005 BHD"},
		{Money{math.MinInt64, "USD"}, "-92233720368547758.08", "-92233720368547758.08 USD"},
		{Money{42, ""}, "42", "42"},
	}
	for _, tt := range tests {
		if got := tt.m.Decimal(); got != tt.dec {
			t.Errorf("%#v.Decimal() = %q; want %q", tt.m, got, tt.dec)
		}
		if got := tt.m.String(); got != tt.String {
			t.Errorf("%#v.String() = %q; want %q", tt.m, got, tt.String)
		}
		if tt.m.Currency == "" {
			continue
		}
		back, err := ParseMoney(tt.m.Decimal(), tt.m.Currency)
		if err != nil || back != tt.m {
			t.Errorf("ParseMoney(Decimal(%v)) = %v, %v; want the same amount back", tt.m, back, err)
		}
	}
}

func TestMoney_ArithmeticRefusesMixedCurrencies(t *testing.T) {
	usd, eur := Money{1000, "USD"}, Money{1000, "EUR"}
	if _, err := usd.Add(eur); !errors.Is(err, ErrMixedCurrencies) {
		t.Errorf("USD + EUR: err = %v; want ErrMixedCurrencies", err)
	}
	if _, err := usd.Sub(eur); !errors.Is(err, ErrMixedCurrencies) {
		t.Errorf("USD - EUR: err = %v; want ErrMixedCurrencies", err)
	}
	if _, err := Sum("USD", usd, eur); !errors.Is(err, ErrMixedCurrencies) {
		t.Errorf("Sum(USD, EUR): err = %v; want ErrMixedCurrencies", err)
	}
	if _, err := (Money{1, "JPY"}).Add(Money{1, "jpy"}); !errors.Is(err, ErrMixedCurrencies) {
		t.Errorf("codes differ in case: err = %v; want ErrMixedCurrencies", err)
	}
}

func TestMoney_ArithmeticIsExactAndRefusesOverflow(t *testing.T) {
	a, b := Money{5998, "USD"}, Money{599, "USD"}
	if got, err := a.Add(b); err != nil || got != (Money{6597, "USD"}) {
		t.Errorf("Add = %v, %v", got, err)
	}
	if got, err := b.Sub(a); err != nil || got != (Money{-5399, "USD"}) {
		t.Errorf("Sub = %v, %v", got, err)
	}
	if got, err := (Money{2999, "USD"}).Mul(3); err != nil || got != (Money{8997, "USD"}) {
		t.Errorf("Mul = %v, %v", got, err)
	}
	if got, err := (Money{2999, "USD"}).Mul(-2); err != nil || got != (Money{-5998, "USD"}) {
		t.Errorf("Mul(-2) = %v, %v", got, err)
	}
	if got, err := Sum("USD", a, b, Money{-97, "USD"}); err != nil || got != (Money{6500, "USD"}) {
		t.Errorf("Sum = %v, %v", got, err)
	}
	big := Money{math.MaxInt64, "USD"}
	small := Money{math.MinInt64, "USD"}
	overflows := map[string]func() (Money, error){
		"max+1":     func() (Money, error) { return big.Add(Money{1, "USD"}) },
		"min-1":     func() (Money, error) { return small.Sub(Money{1, "USD"}) },
		"min+(-1)":  func() (Money, error) { return small.Add(Money{-1, "USD"}) },
		"0-min":     func() (Money, error) { return Money{0, "USD"}.Sub(small) },
		"max*2":     func() (Money, error) { return big.Mul(2) },
		"min*-1":    func() (Money, error) { return small.Mul(-1) },
		"-1*minInt": func() (Money, error) { return Money{-1, "USD"}.Mul(math.MinInt64) },
		"huge*huge": func() (Money, error) { return Money{1 << 40, "USD"}.Mul(1 << 30) },
	}
	for name, f := range overflows {
		if got, err := f(); err == nil {
			t.Errorf("%s = %v; want an out-of-range error", name, got)
		}
	}
}

func TestAllocate_SumsExactlyByLargestRemainder(t *testing.T) {
	tests := []struct {
		name    string
		total   Money
		weights []int64
		want    []int64
	}{
		{"order discount across line subtotals", Money{780, "USD"}, []int64{5998, 1800}, []int64{600, 180}},
		{"tax across taxable amounts", Money{509, "USD"}, []int64{5398, 1620}, []int64{392, 117}},
		{"one cent three ways: earlier wins ties", Money{1, "USD"}, []int64{1, 1, 1}, []int64{1, 0, 0}},
		{"ten cents three ways", Money{10, "USD"}, []int64{1, 1, 1}, []int64{4, 3, 3}},
		{"yen have no minor unit", Money{1000, "JPY"}, []int64{1, 1, 1}, []int64{334, 333, 333}},
		{"dinar fils", Money{1000, "KWD"}, []int64{2, 1}, []int64{667, 333}},
		{"refund: negative total", Money{-1000, "USD"}, []int64{1, 1, 1}, []int64{-334, -333, -333}},
		{"zero weight gets nothing", Money{100, "USD"}, []int64{0, 3, 0, 1}, []int64{0, 75, 0, 25}},
		{"zero total", Money{0, "EUR"}, []int64{5, 7}, []int64{0, 0}},
		{"single part takes all", Money{12345, "GBP"}, []int64{9}, []int64{12345}},
		{"large amounts do not overflow", Money{math.MaxInt64, "USD"}, []int64{math.MaxInt64, math.MaxInt64}, []int64{math.MaxInt64/2 + 1, math.MaxInt64 / 2}},
		{"most negative total", Money{math.MinInt64, "USD"}, []int64{1, 1}, []int64{math.MinInt64 / 2, math.MinInt64 / 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Allocate(tt.total, tt.weights)
			if err != nil {
				t.Fatalf("Allocate: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d parts; want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].Amount != tt.want[i] || got[i].Currency != tt.total.Currency {
					t.Errorf("part %d = %v; want %d %s", i, got[i], tt.want[i], tt.total.Currency)
				}
			}
		})
	}
}

func TestAllocate_NeverLosesOrInventsAUnit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		total := Money{Amount: rng.Int64N(2_000_000) - 1_000_000, Currency: "USD"}
		weights := make([]int64, 1+rng.IntN(8))
		for i := range weights {
			weights[i] = rng.Int64N(100_000)
		}
		weights[rng.IntN(len(weights))]++ // at least one positive
		parts, err := Allocate(total, weights)
		if err != nil {
			t.Fatalf("Allocate(%v, %v): %v", total, weights, err)
		}
		sum, err := Sum("USD", parts...)
		if err != nil || sum != total {
			t.Fatalf("Allocate(%v, %v) = %v summing to %v; want %v", total, weights, parts, sum, total)
		}
		for i, p := range parts {
			if (total.Amount >= 0 && p.Amount < 0) || (total.Amount < 0 && p.Amount > 0) {
				t.Fatalf("part %d = %v has the wrong sign for total %v", i, p, total)
			}
		}
	}
}

func TestAllocate_RefusesWhatCannotBeSplit(t *testing.T) {
	tests := []struct {
		name    string
		total   Money
		weights []int64
	}{
		{"no weights", Money{100, "USD"}, nil},
		{"all zero", Money{100, "USD"}, []int64{0, 0}},
		{"negative weight", Money{100, "USD"}, []int64{3, -1}},
		{"weights overflow", Money{100, "USD"}, []int64{math.MaxInt64, math.MaxInt64, math.MaxInt64}},
		{"unknown currency", Money{100, "ABC"}, []int64{1}},
	}
	for _, tt := range tests {
		if got, err := Allocate(tt.total, tt.weights); err == nil {
			t.Errorf("%s: Allocate = %v; want an error", tt.name, got)
		}
	}
}

func TestMoney_JSONIsAmountAndCurrency(t *testing.T) {
	b, err := json.Marshal(Money{5998, "USD"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"amount":5998,"currency":"USD"}` {
		t.Errorf("JSON = %s", b)
	}
	var m Money
	if err := json.Unmarshal([]byte(`{"amount":-350,"currency":"EUR"}`), &m); err != nil || m != (Money{-350, "EUR"}) {
		t.Errorf("decoded %v, %v", m, err)
	}
}
