package canonical_test

import (
	"errors"
	"fmt"

	"github.com/crossdockhq/crossdock/canonical"
)

func ExampleParseMoney() {
	price, _ := canonical.ParseMoney("59.98", "USD")
	yen, _ := canonical.ParseMoney("1000", "JPY")
	dinar, _ := canonical.ParseMoney("1.5", "KWD")
	fmt.Println(price.Amount, price)
	fmt.Println(yen.Amount, yen)
	fmt.Println(dinar.Amount, dinar)
	_, err := canonical.ParseMoney("1.234", "USD")
	fmt.Println(err)
	// Output:
	// 5998 59.98 USD
	// 1000 1000 JPY
	// 1500 1.500 KWD
	// parse money "1.234" USD: more than 2 decimal places
}

func ExampleAllocate() {
	// A $7.80 order discount spread over two lines of $59.98 and $18.00.
	discount := canonical.Money{Amount: 780, Currency: "USD"}
	parts, _ := canonical.Allocate(discount, []int64{5998, 1800})
	fmt.Println(parts[0], parts[1])
	// Output: 6.00 USD 1.80 USD
}

func ExampleOrder_Validate() {
	o := canonical.Order{
		ExternalID: "1012", Channel: "shopify-us", Status: canonical.OrderConfirmed,
		Lines: []canonical.OrderLine{
			{ID: "1", SKU: "TEE", Quantity: 0,
				UnitPrice: canonical.Money{Amount: 2999, Currency: "USD"},
				Discount:  canonical.Money{Currency: "USD"}, Tax: canonical.Money{Currency: "EUR"}},
		},
		Totals:     canonical.Totals{Subtotal: canonical.Money{Currency: "USD"}, Discount: canonical.Money{Currency: "USD"}, Shipping: canonical.Money{Currency: "USD"}, Tax: canonical.Money{Currency: "USD"}, Total: canonical.Money{Currency: "USD"}},
		Fulfilment: canonical.Fulfilment{Method: canonical.FulfilPickup, PickupLocationID: "store-3"},
		Notes:      "card 4111 1111 1111 1111",
	}
	var problems canonical.ValidationErrors
	if errors.As(o.Validate(), &problems) {
		for _, p := range problems {
			fmt.Println(p.Path+":", p.Message[:min(len(p.Message), 40)])
		}
	}
	// Output:
	// lines[0].quantity: must be greater than 0
	// lines[0].tax.currency: EUR differs from the document's currency
	// placed_at: is required
	// notes: looks like a payment card number (13-19
}
