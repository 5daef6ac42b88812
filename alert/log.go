package alert

import (
	"context"
	"log/slog"

	"github.com/slad-project/slad/alert/lifecycle"
)

// logNotifier writes each alert as one structured line to slad's own log:
// WARN for breaches and escalations, INFO otherwise.
type logNotifier struct {
	logger      *slog.Logger
	receiver    string
	externalURL string
}

// Notify logs the notice; it cannot fail.
func (l *logNotifier) Notify(ctx context.Context, n lifecycle.Notice) (bool, error) {
	if n.Digest != nil {
		return l.logDigest(ctx, n) // digest.go
	}
	level := slog.LevelInfo
	if n.Stage == lifecycle.StageBreach || n.Stage == lifecycle.StageEscalation {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("receiver", l.receiver),
		slog.String("alert_id", n.ID),
		slog.String("stage", string(n.Stage)),
		slog.String("summary", n.Summary()),
		slog.String("sla", n.SLAID),
		slog.String("provider", n.Provider),
		slog.String("customer", n.Customer),
	}
	if n.Measures != "" { // an OLA or a customer's promise: whose time it is
		attrs = append(attrs, slog.String("measures", n.Measures), slog.String("party", n.Party))
	}
	attrs = append(attrs,
		slog.String("request", n.RequestID),
		slog.String("title", n.Title),
		slog.String("priority", n.Priority),
		slog.String("category", n.Category),
		slog.String("target", string(n.Target)),
		slog.Int64("target_seconds", n.TargetSeconds),
		slog.Int64("elapsed_seconds", n.ElapsedSeconds),
		slog.String("standing", standing(n)),
	)
	if !n.Deadline.IsZero() {
		attrs = append(attrs, slog.Time("deadline", n.Deadline.UTC()))
	}
	attrs = append(attrs, slog.Time("fired_at", n.FiredAt.UTC()))
	if !n.HeldUntil.IsZero() {
		attrs = append(attrs, slog.Time("held_until", n.HeldUntil.UTC()))
	}
	if n.Stage == lifecycle.StageEscalation {
		attrs = append(attrs, slog.Int("escalation", n.Escalation))
	}
	if u := requestURL(l.externalURL, n.Provider, n.RequestID); u != "" {
		attrs = append(attrs, slog.String("url", u))
	}
	l.logger.LogAttrs(context.WithoutCancel(ctx), level, "SLA alert", attrs...)
	return false, nil
}
