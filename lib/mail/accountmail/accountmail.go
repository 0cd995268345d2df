// Package accountmail holds the renderers of account mail (password reset, address
// verification, e-mail change, security notices, connection health): one file per kind (the
// two connection notices share one), each registering itself with mail.Register in init().
// The kinds that lead to one link are built by linkMail, their words its parameter;
// testdata/*.golden pins those mails to the byte. api/jobs/send-email imports the package for
// those side effects, so the templates are linked into the one function that sends.
package accountmail
