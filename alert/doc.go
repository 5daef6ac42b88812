// Package alert delivers slad's alerts: it formats an [lifecycle.Notice] for each
// kind of receiver (a Standard Webhooks signed JSON webhook, a Slack incoming
// webhook, Prometheus Alertmanager, email through an SMTP smarthost, slad's
// own log) and drains the store's
// durable outbox with one worker per receiver, retrying with backoff until the
// receiver answers 2xx.
//
// # Basics
//
// A [Notifier] sends one notice and says whether a failure is worth retrying,
// as Alertmanager's notifiers do. [NewNotifier] builds one from a
// [config.Receiver]; [CheckResponse] is the single place that classifies HTTP
// answers: 2xx is success; 408, 429 and 5xx are retried (at least as late as a
// Retry-After header asks on 429 and 503); anything else, redirects included,
// is a permanent failure whose error quotes a bounded excerpt of the answer.
//
// A [Dispatcher] runs one goroutine per receiver. Each waits for the outbox to
// change or for its next alert to fall due, sends what is due oldest first,
// and then marks each alert delivered, schedules a retry (exponential backoff
// with jitter, from [Options.BaseBackoff] to [Options.MaxBackoff], never
// earlier than a Retry-After) or gives up: on a permanent failure, or when an
// alert could not be delivered within the receiver's GiveUpAfter. After a
// retryable failure the worker pauses the whole receiver, so that a receiver
// that is down is probed with one alert per pause instead of every alert
// timing out in turn; other receivers are never held up, as each has its own
// goroutine.
//
// Alertmanager resolves an alert on its own once the alert's endsAt (or,
// without one, its resolve_timeout) passes. Alertmanager workers therefore
// re-post every breach and escalation the store reports as still firing
// about once a minute ([Options.RepostInterval]), each time with endsAt four
// intervals ahead, as Prometheus does with its firing alerts, and post a
// resolved notice as the breach alert (and each escalation alert) with
// endsAt set to when the request was resolved.
//
// # Receivers
//
//   - webhook: POST of the generic JSON body of docs/design.md, field for field,
//     plus "escalation" (the 1-based step) on escalation alerts; "deadline"
//     is null when a notice has none. Headers webhook-id (the notice id, the
//     same on every retry), webhook-timestamp (this attempt) and, with a
//     signing secret, webhook-signature as Standard Webhooks defines it.
//   - slack: an incoming-webhook message with a one-line text and a section
//     saying the stage, the SLA, provider → customer, the request with a
//     link, how late or how much time is left, and the priority.
//   - alertmanager: POST <url>/api/v2/alerts, alertname SLAWarning, SLABreach
//     or SLAEscalation, labels sla, provider, customer, target, stage and
//     request (and escalation, the step). Breaches and escalations are
//     re-posted while firing (and carry endsAt); warnings are posted once and
//     resolve on Alertmanager's resolve_timeout.
//   - email: a multipart text and HTML mail through the receiver's
//     smarthost (net/smtp; STARTTLS, implicit TLS, or none to a loopback
//     relay; AUTH PLAIN, LOGIN or CRAM-MD5), the notice's summary as its
//     subject. The smarthost's replies are classified as HTTP answers are:
//     4xx (and network and TLS failures) retried, 5xx given up
//     ([SMTPError]). [MailSender] sends other mail (digests) the same way.
//   - log: one line in slad's log per alert, WARN for breaches and
//     escalations, INFO otherwise.
//
// Every receiver says the notice's one-line [lifecycle.Notice.Summary], in
// the departments' names.
//
// All HTTP requests carry Content-Type application/json and User-Agent
// slad/<version>, follow no redirects, and are bounded by the receiver's
// timeout.
//
// # Caveats
//
// Delivery is at least once: an alert is removed from the outbox only after
// the receiver answered 2xx, so a receiver that processed a request but whose
// answer was lost (a timeout, a dropped connection, a crash before the store
// recorded the delivery) gets it again. Webhook receivers should use the
// webhook-id header, which is stable across retries, to drop repeats.
//
// Errors never contain a receiver's URL: Slack and many webhook URLs are
// credentials, and Go's *url.Error quotes the URL it failed on.
package alert
