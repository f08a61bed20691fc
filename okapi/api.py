from ninja import NinjaAPI

api = NinjaAPI(title="Okapi API", version="1")
