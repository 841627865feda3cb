-- confidence_gate (risk): deny an order intent whose consensus confidence is
-- below params.min_confidence (default 0.6). A null confidence is denied too:
-- an order nobody is confident about should not go out.
--
-- Returns "allow", or "deny", REASON_NAME, detail (detail: <= 95 chars).
local min_confidence = params.min_confidence or 0.6
assert(min_confidence >= 0 and min_confidence <= 1, "min_confidence must be within 0..1")

function check(intent, pf)
  local c = intent.confidence
  if is_null(c) then
    return "deny", "LOW_CONFIDENCE", "confidence is null"
  end
  if c < min_confidence then
    return "deny", "LOW_CONFIDENCE",
           string.format("confidence %.3f < %.3f", c, min_confidence)
  end
  return "allow"
end
