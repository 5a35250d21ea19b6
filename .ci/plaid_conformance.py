"""Plaid's own Python client (plaid-python, generated from Plaid's published OpenAPI document) reads
every answer of the Plaid-compatible simulator, for every endpoint PlaidKit calls. The client checks
each answer against Plaid's schema (required fields, types, enums) and raises on the first that
breaks it.

Usage: python3 .ci/plaid_conformance.py http://127.0.0.1:PORT [client_id] [secret]
"""
import base64
import datetime
import http.server
import json
import sys
import threading
import urllib.error
import urllib.request

import plaid
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.investments_holdings_get_request import InvestmentsHoldingsGetRequest
from plaid.model.investments_transactions_get_request import InvestmentsTransactionsGetRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.link_token_create_hosted_link import LinkTokenCreateHostedLink
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import SandboxPublicTokenCreateRequestOptions
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

base = sys.argv[1]
client_id = sys.argv[2] if len(sys.argv) > 2 else "sim-client-id"
secret = sys.argv[3] if len(sys.argv) > 3 else "sim-secret"

# A webhook receiver, to learn the signing key's id from a delivery's Plaid-Verification JWT.
key_ids = []


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        token = self.headers.get("Plaid-Verification", "")
        header = token.split(".")[0]
        key_ids.append(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


hooks = http.server.HTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=hooks.serve_forever, daemon=True).start()
webhook = f"http://127.0.0.1:{hooks.server_port}/hook"

client = plaid_api.PlaidApi(plaid.ApiClient(plaid.Configuration(host=base, api_key={"clientId": client_id, "secret": secret})))
checked, failures = [], []


def raw(path, body):
    """The same call without the client, for the values later calls need whatever the client thinks."""
    request = urllib.request.Request(base + path, data=json.dumps({"client_id": client_id, "secret": secret, **body}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def check(name, call):
    """Calls one endpoint; an answer the client cannot read is noted, and the run goes on."""
    try:
        answer = call()
    except Exception as error:  # the client's type checks raise TypeError, ApiTypeError, ApiValueError...
        failures.append(f"{name}: {type(error).__name__}: {str(error).splitlines()[0]}")
        return None
    checked.append(name)
    return answer


check("/sandbox/public_token/create", lambda: client.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
    institution_id="ins_109508", initial_products=[Products("transactions"), Products("investments")],
    options=SandboxPublicTokenCreateRequestOptions(webhook=webhook))))
public = raw("/sandbox/public_token/create", {"institution_id": "ins_109508", "initial_products": ["transactions", "investments"],
                                              "options": {"webhook": webhook}})["public_token"]
check("/item/public_token/exchange", lambda: client.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public)))
public = raw("/sandbox/public_token/create", {"institution_id": "ins_109508", "initial_products": ["transactions", "investments"],
                                              "options": {"webhook": webhook}})["public_token"]
token = raw("/item/public_token/exchange", {"public_token": public})["access_token"]
check("/link/token/create", lambda: client.link_token_create(LinkTokenCreateRequest(
    user=LinkTokenCreateRequestUser(client_user_id="conformance"), client_name="FinanceDashboard",
    products=[Products("transactions")], country_codes=[CountryCode("US")], language="en", webhook=webhook)))
# Hosted Link: a token with its page, the page finished as a person would, then what the session did.
check("/link/token/create", lambda: client.link_token_create(LinkTokenCreateRequest(
    user=LinkTokenCreateRequestUser(client_user_id="conformance"), client_name="FinanceDashboard",
    products=[Products("transactions")], country_codes=[CountryCode("US")], language="en", webhook=webhook,
    hosted_link=LinkTokenCreateHostedLink(completion_redirect_uri="http://127.0.0.1/banks?link=done"))))
hosted = raw("/link/token/create", {"user": {"client_user_id": "conformance"}, "client_name": "FinanceDashboard", "language": "en",
                                    "products": ["transactions"], "country_codes": ["US"],
                                    "hosted_link": {"completion_redirect_uri": "http://127.0.0.1/banks?link=done"}})
check("/link/token/get", lambda: client.link_token_get(LinkTokenGetRequest(link_token=hosted["link_token"])))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


try:
    urllib.request.build_opener(NoRedirect).open(hosted["hosted_link_url"], data=b"institution_id=ins_109508")
except urllib.error.HTTPError as redirect:
    assert redirect.code == 303, redirect.code
finished = check("/link/token/get", lambda: client.link_token_get(LinkTokenGetRequest(link_token=hosted["link_token"])))
if finished is not None and not finished.link_sessions[0].results.item_add_results[0].public_token:
    failures.append("/link/token/get: a finished session without its public token")
check("/accounts/get", lambda: client.accounts_get(AccountsGetRequest(access_token=token)))
check("/accounts/balance/get", lambda: client.accounts_balance_get(AccountsBalanceGetRequest(access_token=token)))
check("/item/get", lambda: client.item_get(ItemGetRequest(access_token=token)))
institution = raw("/item/get", {"access_token": token})["item"]["institution_id"]
check("/institutions/get_by_id", lambda: client.institutions_get_by_id(InstitutionsGetByIdRequest(
    institution_id=institution, country_codes=[CountryCode("US")])))
cursor, pages, added = "", 0, 0
while True:
    check("/transactions/sync", lambda: client.transactions_sync(TransactionsSyncRequest(access_token=token, cursor=cursor, count=500)))
    page = raw("/transactions/sync", {"access_token": token, "cursor": cursor, "count": 500})
    pages, added, cursor = pages + 1, added + len(page["added"]), page["next_cursor"]
    if not page["has_more"]:
        break
check("/investments/holdings/get", lambda: client.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=token)))
today = datetime.date.today()
check("/investments/transactions/get", lambda: client.investments_transactions_get(InvestmentsTransactionsGetRequest(
    access_token=token, start_date=today - datetime.timedelta(days=730), end_date=today)))
check("/sandbox/item/fire_webhook", lambda: client.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(
    access_token=token, webhook_code="SYNC_UPDATES_AVAILABLE")))
for _ in range(100):
    if key_ids:
        break
    threading.Event().wait(0.1)
if not key_ids:
    sys.exit("no webhook arrived to learn the signing key's id from")
check("/webhook_verification_key/get", lambda: client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=key_ids[0])))
check("/sandbox/item/reset_login", lambda: client.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=token)))
check("/item/remove", lambda: client.item_remove(ItemRemoveRequest(access_token=token)))

if failures:
    print(f"plaid-python {plaid.__version__} could not read {len(failures)} answer(s) of the simulator:")
    for failure in failures:
        print("  " + failure)
    sys.exit(1)
print(f"plaid-python {plaid.__version__} read every answer of {len(set(checked))} endpoints, "
      f"{added} transactions over {pages} sync pages among them")
