package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	shopifysandbox "github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
)

func init() { addCommand(newSandboxCmd) }

// sandboxStarters are the platforms `crossdock sandbox NAME` can run; a new
// connector's sandbox joins the group by adding its subcommand here.
var sandboxStarters = []func(*globals) *cobra.Command{newSandboxShopifyCmd}

func newSandboxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a platform's sandbox (a stateful fake of its API) on this machine",
		Long: `sandbox runs one connector's sandbox on its own: a stateful fake of the
platform's real API, with the same paths, auth, pagination, rate limits and
webhooks, seeded with realistic data. Point a connector's base_url at it to try
Crossdock without an account on the platform; the demo starts the same
sandboxes for you.`,
		Example: `  crossdock sandbox shopify --port 8081
  crossdock sandbox shopify --port 8081 --seed connectors/shopify/testdata/sandbox-seed.json \
      --webhook-url http://127.0.0.1:8080/webhooks/shopify-us --order-every 5s`,
	}
	for _, f := range sandboxStarters {
		cmd.AddCommand(f(g))
	}
	return cmd
}

func newSandboxShopifyCmd(g *globals) *cobra.Command {
	var (
		host, seedFile, plan, token, webhookURL, webhookSecret, clientID, clientSecret string
		port                                                                           int
		orderEvery                                                                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "shopify",
		Short: "Run the Shopify sandbox: the GraphQL Admin API of a fake shop",
		Long: `shopify runs a fake Shopify shop serving POST /admin/api/{version}/graphql.json
(X-Shopify-Access-Token auth, calculated query cost with the plan's leaky
bucket, cursor pagination, userErrors) and, with --client-id, the
client-credentials grant at POST /admin/oauth/access_token.

Without --seed it holds a small chain (a warehouse and three stores), a dozen
products and 40 orders; --seed FILE loads a seed in the sandbox's JSON format
(see connectors/shopify/testdata/sandbox-seed.json). With --webhook-url it
sends signed webhooks (X-Shopify-Hmac-Sha256 with --webhook-secret) on every
change; --order-every places a generated order at that interval.

It prints a connector config that points at it, then serves until interrupted.`,
		Example: `  crossdock sandbox shopify --port 8081
  crossdock sandbox shopify --port 8081 --seed seed.json --plan advanced
  crossdock sandbox shopify --webhook-url http://127.0.0.1:8080/webhooks/shopify-us --webhook-secret s3cret --order-every 10s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := g.logger()
			seed := shopifysandbox.DefaultSeed()
			if seedFile != "" {
				s, err := shopifysandbox.LoadSeed(seedFile)
				if err != nil {
					return err
				}
				seed = *s
			}
			p, ok := shopifysandbox.PlanByName(plan)
			if !ok {
				return fmt.Errorf("unknown plan %q (standard, advanced or plus)", plan)
			}
			if seed.Plan != "" && !cmd.Flags().Changed("plan") {
				if sp, ok := shopifysandbox.PlanByName(seed.Plan); ok {
					p = sp
				}
			}
			seed.Plan = "" // the flag (or the seed's plan, chosen above) rules
			srv := shopifysandbox.New(shopifysandbox.Config{
				AccessTokens: []string{token}, ClientID: clientID, ClientSecret: clientSecret,
				Plan: p, WebhookURL: webhookURL, WebhookSecret: webhookSecret,
				Seed: &seed, OrderEvery: orderEvery, Logger: log,
			})
			defer srv.Close()
			base, err := srv.Listen(net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				return err
			}
			c := srv.Config()
			cfg := map[string]any{"shop_domain": c.ShopDomain, "access_token": token, "base_url": base, "api_version": c.APIVersion}
			if webhookSecret != "" {
				cfg["webhook_secret"] = webhookSecret
			}
			snippet, _ := json.MarshalIndent(cfg, "  ", "  ")
			orders, products, variants := srv.Counts()
			fmt.Fprintf(cmd.OutOrStdout(), "Shopify sandbox serving %s (plan %s: %.0f-point bucket, %.0f points/s)\n", base, p.Name, p.MaximumAvailable, p.RestoreRate)
			fmt.Fprintf(cmd.OutOrStdout(), "  %d orders, %d products, %d variants\n", orders, products, variants)
			fmt.Fprintf(cmd.OutOrStdout(), "  GraphQL: POST %s/admin/api/%s/graphql.json\n", base, c.APIVersion)
			fmt.Fprintf(cmd.OutOrStdout(), "  connector config:\n  %s\n", snippet)
			<-cmd.Context().Done()
			log.Info("sandbox stopping", "stats", fmt.Sprintf("%+v", srv.Stats()))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&host, "host", "127.0.0.1", "address to listen on")
	f.IntVar(&port, "port", 0, "port to listen on (0 picks a free one)")
	f.StringVar(&seedFile, "seed", "", "seed file (JSON); default: the built-in demo shop")
	f.StringVar(&plan, "plan", "standard", "Shopify plan whose GraphQL cost limits apply: standard, advanced or plus")
	f.StringVar(&token, "token", "shpat_sandbox", "Admin API access token the sandbox accepts")
	f.StringVar(&clientID, "client-id", "", "enable the client-credentials grant for this client id")
	f.StringVar(&clientSecret, "client-secret", "", "client secret of the client-credentials grant")
	f.StringVar(&webhookURL, "webhook-url", "", "URL that receives signed webhooks on every change")
	f.StringVar(&webhookSecret, "webhook-secret", "shpss_sandbox", "secret that signs webhooks (X-Shopify-Hmac-Sha256)")
	f.DurationVar(&orderEvery, "order-every", 0, "place a generated order at this interval (0: never)")
	return cmd
}
