package connhost

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func orderRecord(t *testing.T, id, note string) canonical.Record {
	t.Helper()
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	o := canonical.Order{ID: id, Channel: "shop", ExternalID: id, Status: canonical.OrderPending, Notes: note,
		Lines: []canonical.OrderLine{{ID: "1", SKU: "SKU-1", Quantity: 1, UnitPrice: canonical.Money{Amount: 1000, Currency: "USD"},
			Discount: canonical.Money{Currency: "USD"}, Tax: canonical.Money{Currency: "USD"}}},
		Totals: canonical.Totals{Subtotal: canonical.Money{Amount: 1000, Currency: "USD"}, Discount: canonical.Money{Currency: "USD"},
			Shipping: canonical.Money{Currency: "USD"}, Tax: canonical.Money{Currency: "USD"}, Total: canonical.Money{Amount: 1000, Currency: "USD"}},
		Fulfilment: canonical.Fulfilment{Method: canonical.FulfilPickup, PickupLocationID: "store-1"}, PlacedAt: at, UpdatedAt: at}
	p, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return canonical.Record{Kind: canonical.KindOrder, ExternalID: id, Version: 1, IdempotencyKey: "o-" + id, At: at, Payload: p}
}

func TestScreen_CardDataNeverReachesTheBusNorTheReject(t *testing.T) {
	const card = "4111 1111 1111 1111"
	good := orderRecord(t, "1001", "leave at the door")
	if err := good.Validate(); err != nil && !strings.Contains(err.Error(), "source: is required") {
		t.Fatalf("fixture must be valid: %v", err)
	}
	bad := orderRecord(t, "1002", "my card is "+card+" thanks")
	ok, rejects := screen("shop", []canonical.Record{good, bad},
		[]sdk.Reject{{Location: "feed.csv:3:2 (notes)", Message: "bad quantity", Raw: []byte("x," + card + ",2")}})
	if len(ok) != 1 || ok[0].ExternalID != "1001" || ok[0].Source != "shop" {
		t.Fatalf("kept %+v; want only order 1001 stamped with its source", ok)
	}
	if len(rejects) != 2 {
		t.Fatalf("rejects = %+v; want the connector's and the screened order's", rejects)
	}
	for _, rj := range rejects {
		b, _ := json.Marshal(rj)
		if strings.Contains(strings.ReplaceAll(string(b), " ", ""), "4111111111111111") || strings.Contains(string(b), "1111 1111") {
			t.Fatalf("reject carries the card digits: %s", b)
		}
	}
	if !strings.Contains(rejects[1].Message, "notes") || !strings.Contains(rejects[1].Location, "1002") {
		t.Fatalf("the screened order's reject must name it and the field: %+v", rejects[1])
	}
	if rejects[0].Raw != nil {
		t.Fatal("a connector reject whose raw row holds card data must lose the raw row")
	}
}
