package respond

import "github.com/akresp/akresp/internal/cloud"

// *cloud.Clients satisfies every interface respond declares.
var (
	_ ContainCloud      = (*cloud.Clients)(nil)
	_ DisableCloud      = (*cloud.Clients)(nil)
	_ RecycleBinLister  = (*cloud.Clients)(nil)
	_ RAMLastUsedReader = (*cloud.Clients)(nil)
)
