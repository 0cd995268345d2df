// Package accountmail holds the renderers of account mail (password reset, address
// verification, e-mail change, security notices, connection health): one file per kind, each
// registering itself with mail.Register in init(). api/jobs/send-email imports it for those
// side effects, so the templates are linked into the one function that sends.
package accountmail
