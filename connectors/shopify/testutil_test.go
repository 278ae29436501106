package shopify

import (
	"fmt"

	"github.com/crossdockhq/crossdock/plugins/sdk"
)

type sdkBatch = sdk.Batch

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
