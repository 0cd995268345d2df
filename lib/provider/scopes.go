package provider

// Scope is one permission Metriqs asks a provider for, with the reason the report needs it.
type Scope struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// ScopeTable is the one list of everything Metriqs asks each provider for, and why: the
// security page promises "only the minimum OAuth scopes required to generate your reports".
// docs/integrations.md shows the same table (a test keeps the two in step). Adding a row here
// means a report reads something new; say which report figure needs it.
//
// For GitHub and Stripe the names are the permissions of the registered GitHub App and
// Stripe App (their consent screens list those; neither takes a scope parameter).
var ScopeTable = map[string][]Scope{
	GoogleAnalytics: {
		{"https://www.googleapis.com/auth/analytics.readonly",
			"Read GA4 reports (users, sessions, page views, engagement) with the Data API, and list the properties you can choose from with the Admin API. Read-only: nothing in your Analytics account can be changed."},
	},
	SearchConsole: {
		{"https://www.googleapis.com/auth/webmasters.readonly",
			"Read search performance (clicks, impressions, CTR, position, top queries) and list your Search Console properties. Read-only: no site can be added, removed or verified."},
	},
	Stripe: {
		{"balance_read",
			"List balance transactions: gross volume, refunds, fees and net revenue."},
		{"customer_read",
			"List customers by creation date: new customers per day."},
		{"subscription_read",
			"List active subscriptions and their prices: monthly recurring revenue."},
	},
	GitHub: {
		{"metadata:read",
			"Required by GitHub for every GitHub App: list the repositories you can choose from, their stargazers and forks."},
		{"issues:read",
			"List issues: issues opened and closed."},
		{"pull_requests:read",
			"List pull requests: pull requests merged."},
	},
	Demo: {
		{"sites.read", "List the sandbox's demo sites to choose from."},
		{"metrics.read", "Read the sandbox's synthetic daily metrics."},
	},
}
