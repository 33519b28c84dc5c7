-- wrk script for scripts/soak: each request is drawn from a mix of what Relance serves in a day, and
-- every answer is counted by kind and status.
--
--   wrk ... -s scripts/soak.d/mix.lua http://127.0.0.1:PORT -- DATA_DIR PHASE PAGES INVOICES PAYMENTS DASHBOARD
--
-- DATA_DIR holds what the soak set up: `tokens` (one link token a line), `invoices` (ids of invoices made
-- for the run, one a line), `api-key`, `cookie` (a signed-in `relance_session=…`) and `dates` (issue and
-- due date of new invoices). PHASE is a digit (1 warm-up, 2 measured run) that keeps invoice numbers,
-- phone numbers and payment references unique across runs. The four weights are percentages.
--
-- wrk tells response() nothing about the request it answers, so an answer's kind is read from the answer:
-- JSON starting with {"invoice" is a payment, other JSON created (201) an invoice, other JSON an API
-- error; HTML with `Referrer-Policy: no-referrer` a customer page (the HTML error page has the same
-- headers, whatever the route), `same-origin` a dashboard page. The server's own counts by route and
-- status (/metrics) say exactly which route answered what; scripts/soak prints both.

local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

local function lines(path)
    local out = {}
    for line in io.lines(path) do
        if line ~= "" then out[#out + 1] = line end
    end
    assert(#out > 0, path .. " is empty")
    return out
end

local function first_line(path)
    return lines(path)[1]
end

function init(args)
    local dir = args[1]
    phase = tonumber(args[2])
    local pages, invoices, payments = tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
    page_upto = pages
    invoice_upto = pages + invoices
    payment_upto = pages + invoices + payments
    -- Whatever remains of 100 goes to the dashboard.

    tokens = lines(dir .. "/tokens")
    invoice_ids = lines(dir .. "/invoices")
    local dates = lines(dir .. "/dates")
    issued_on, due_on = dates[1], dates[2]

    math.randomseed(os.time() * 16 + tid * 7919 + phase)
    sequence = 0
    sent = { page = 0, invoice = 0, payment = 0, dashboard = 0 }
    got = {} -- "kind status" -> count
    bytes = {} -- kind -> body bytes

    page_headers = {
        ["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        ["Accept-Language"] = "fr-FR,fr;q=0.9",
    }
    api_headers = {
        ["Authorization"] = "Bearer " .. first_line(dir .. "/api-key"),
        ["Content-Type"] = "application/json",
        ["User-Agent"] = "soak-billing/1",
    }
    dashboard_headers = {
        ["Cookie"] = first_line(dir .. "/cookie"),
        ["Accept"] = "text/html",
        ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    }
    dashboard_paths = {
        "/dashboard",
        "/dashboard/invoices?status=all",
        "/dashboard/invoices?status=open&sort=due",
        "/dashboard/invoices?status=all&q=Soak",
        "/dashboard/requests",
        "/dashboard/invoices/", -- followed by one of the run's invoices
    }
end

function request()
    local draw = math.random(100)
    if draw <= page_upto then
        sent.page = sent.page + 1
        return wrk.format("GET", "/p/" .. tokens[math.random(#tokens)], page_headers)
    end
    sequence = sequence + 1
    local unique = string.format("%d-%d-%d", phase, tid, sequence)
    if draw <= invoice_upto then
        sent.invoice = sent.invoice + 1
        -- A phone of its own per invoice (+336, the phase, the thread, six digits): a new customer each time.
        local body = string.format(
            '{"number":"SOAK-%s","customer":{"name":"Client Soak %s","phone":"+336%d%d%06d","locale":"fr"},'
                .. '"currency":"EUR","amount":%d,"issued_on":"%s","due_on":"%s"}',
            unique, unique, phase, tid, sequence % 1000000, math.random(1000, 500000), issued_on, due_on)
        api_headers["Idempotency-Key"] = nil
        return wrk.format("POST", "/api/v1/invoices", api_headers, body)
    elseif draw <= payment_upto then
        sent.payment = sent.payment + 1
        local id = invoice_ids[math.random(#invoice_ids)]
        local body = string.format('{"amount":%d,"method":"transfer","reference":"soak-%s"}', math.random(1, 100), unique)
        api_headers["Idempotency-Key"] = "soak-" .. unique
        return wrk.format("POST", "/api/v1/invoices/" .. id .. "/payments", api_headers, body)
    else
        sent.dashboard = sent.dashboard + 1
        local path = dashboard_paths[math.random(#dashboard_paths)]
        if path == "/dashboard/invoices/" then path = path .. invoice_ids[math.random(#invoice_ids)] end
        return wrk.format("GET", path, dashboard_headers)
    end
end

local function kind_of(status, headers, body)
    local content_type = headers["Content-Type"] or ""
    if content_type:find("json", 1, true) then
        if body:sub(1, 10) == '{"invoice"' then return "payment" end
        if status == 201 then return "invoice" end
        return "api-error"
    end
    local policy = headers["Referrer-Policy"]
    if policy == "no-referrer" then return "page" end
    if policy == "same-origin" then return "dashboard" end
    if (headers["Location"] or ""):find("/login", 1, true) then return "dashboard" end
    return "other"
end

function response(status, headers, body)
    local kind = kind_of(status, headers, body)
    -- A 200 customer page that is not the invoice (a neutral preview page, say) is counted apart.
    if kind == "page" and status == 200 and not body:find('id="amount"', 1, true) then kind = "page-not-invoice" end
    local key = kind .. " " .. status
    got[key] = (got[key] or 0) + 1
    bytes[kind] = (bytes[kind] or 0) + #body
end

-- One line per figure, "soak WHAT …", for scripts/soak to read.
function done(summary, latency, requests)
    local sent_total, got_total, bytes_total = {}, {}, {}
    for _, thread in ipairs(threads) do
        for k, v in pairs(thread:get("sent")) do sent_total[k] = (sent_total[k] or 0) + v end
        for k, v in pairs(thread:get("got")) do got_total[k] = (got_total[k] or 0) + v end
        for k, v in pairs(thread:get("bytes")) do bytes_total[k] = (bytes_total[k] or 0) + v end
    end
    for k, v in pairs(sent_total) do io.write(string.format("soak sent %s %d\n", k, v)) end
    for k, v in pairs(got_total) do io.write(string.format("soak got %s %d\n", k, v)) end
    for k, v in pairs(bytes_total) do io.write(string.format("soak bytes %s %d\n", k, v)) end
    local e = summary.errors
    io.write(string.format("soak errors connect %d read %d write %d status %d timeout %d\n",
        e.connect, e.read, e.write, e.status, e.timeout))
    io.write(string.format("soak total requests %d duration_us %d bytes %d\n",
        summary.requests, summary.duration, summary.bytes))
    io.write(string.format("soak latency_us p50 %d p90 %d p99 %d p999 %d max %d\n",
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
