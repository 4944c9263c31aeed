-- Argo CD health of a Strata Table (graphql.strata.dev/v1alpha1).
-- Uses base Lua only: Argo CD opens no standard library by default.
local hs = {status = "Progressing", message = "Waiting for the Strata operator"}
local generation = obj.metadata.generation or 0
if obj.status == nil or obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.message = "Waiting for the Strata operator to process generation " .. generation
  return hs
end
local ready
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then
    ready = c
  end
end
if ready == nil or (ready.observedGeneration ~= nil and ready.observedGeneration < generation) then
  hs.message = "Waiting for the Ready condition of generation " .. generation
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
elseif ready.status == "False" then
  hs.status = "Degraded"
end
hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
return hs
