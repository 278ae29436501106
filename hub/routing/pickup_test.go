package routing

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossdockhq/crossdock/canonical"
)

func pickupServer(t *testing.T) *httptest.Server {
	t.Helper()
	w := chain()
	w.AddLocation(shop("st-glendale", canonical.GeoPoint{Lat: 34.1425, Lng: -118.2551}))
	closed := shop("st-closed", canonical.GeoPoint{Lat: 34.15, Lng: -118.15})
	closed.Active = false
	w.AddLocation(closed)
	for _, loc := range []string{"wh-main", "st-pasadena", "st-glendale", "st-santa-monica", "st-irvine", "st-closed"} {
		w.SetStock(loc, "TEE-M", 5)
		w.SetStock(loc, "CAP", 5)
	}
	w.SetStock("st-pasadena", "CAP", 0) // nearest to the shopper, but lacks the cap
	srv := httptest.NewServer(PickupOptionsHandler(PickupOptions{Locations: w, Stock: w, MaxDistanceKM: 100, Limit: 5}))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, srv *httptest.Server, method, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+"/api/v1/pickup-options", strings.NewReader(body))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	return resp, out
}

func TestPickupOptions_NearestStoresWithEveryLineNow(t *testing.T) {
	srv := pickupServer(t)
	// 91101 is Pasadena: the Pasadena store lacks the cap, the warehouse is no
	// pickup point and the closed store does not count.
	resp, body := post(t, srv, http.MethodPost, `{"lines":[{"sku":"TEE-M","quantity":2},{"sku":"CAP","quantity":1}],"postal_code":"91101","country":"US","limit":3}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %v", resp.StatusCode, body)
	}
	stores := body["stores"].([]any)
	var ids []string
	for _, s := range stores {
		ids = append(ids, s.(map[string]any)["location_id"].(string))
	}
	if strings.Join(ids, ",") != "st-glendale,st-santa-monica,st-irvine" {
		t.Fatalf("stores %v; want glendale, santa monica, irvine (nearest first)", ids)
	}
	first := stores[0].(map[string]any)
	if d := first["distance_km"].(float64); d <= 0 || d > 20 {
		t.Errorf("glendale should be a few km from Pasadena's ZIP centroid: %v", d)
	}
	if a := first["available"].(map[string]any); a["TEE-M"].(float64) != 5 || a["CAP"].(float64) != 5 {
		t.Errorf("availability per sku: %v", a)
	}
}

func TestPickupOptions_RefusesBadRequestsWithClearErrors(t *testing.T) {
	srv := pickupServer(t)
	tests := []struct {
		name, method, body string
		status             int
		code               string
	}{
		{"Malformed", http.MethodPost, `{"lines":`, http.StatusBadRequest, "malformed"},
		{"UnknownField", http.MethodPost, `{"lines":[{"sku":"A","quantity":1}],"zip":"91101"}`, http.StatusBadRequest, "malformed"},
		{"NoLines", http.MethodPost, `{"lines":[],"postal_code":"91101","country":"US"}`, http.StatusUnprocessableEntity, "invalid"},
		{"ZeroQuantity", http.MethodPost, `{"lines":[{"sku":"A","quantity":0}],"postal_code":"91101","country":"US"}`, http.StatusUnprocessableEntity, "invalid"},
		{"UnknownPostalCode", http.MethodPost, `{"lines":[{"sku":"A","quantity":1}],"postal_code":"00000","country":"US"}`, http.StatusUnprocessableEntity, "unknown_postal_code"},
		{"WrongMethod", http.MethodGet, ``, http.StatusMethodNotAllowed, "method_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, srv, tc.method, tc.body)
			errObj, _ := body["error"].(map[string]any)
			if resp.StatusCode != tc.status || errObj == nil || errObj["code"] != tc.code || errObj["message"] == "" {
				t.Fatalf("got %d %v; want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
}
