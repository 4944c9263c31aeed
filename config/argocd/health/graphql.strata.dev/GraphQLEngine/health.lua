-- Argo CD health of a Strata GraphQLEngine (graphql.strata.dev/v1alpha1).
-- Uses base Lua only: Argo CD opens no standard library by default.
local hs = {status = "Progressing", message = "Waiting for the Strata operator"}
local generation = obj.metadata.generation or 0
if obj.status == nil or obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.message = "Waiting for the Strata operator to reconcile generation " .. generation
  return hs
end
local ready, progressing, consistent
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then
    ready = c
  elseif c.type == "Progressing" then
    progressing = c
  elseif c.type == "MetadataConsistent" then
    consistent = c
  end
end
if ready == nil then
  hs.message = "Waiting for the Ready condition"
  return hs
end
local rolling = progressing ~= nil and progressing.status == "True"
if progressing ~= nil and progressing.status == "False" and progressing.reason == "ProgressDeadlineExceeded" then
  hs.status = "Degraded"
  hs.message = progressing.reason .. ": " .. (progressing.message or "")
  return hs
end
if ready.status == "False" and not rolling then
  hs.status = "Degraded"
  hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
  return hs
end
if rolling then
  hs.message = (progressing.reason or "") .. ": " .. (progressing.message or "")
  return hs
end
if ready.status ~= "True" then
  hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
  return hs
end
hs.status = "Healthy"
hs.message = ready.message or ""
if consistent ~= nil and consistent.status == "False" then
  hs.message = hs.message .. "; metadata not fully served (" .. (consistent.reason or "") .. "): " .. (consistent.message or "")
end
return hs
