"""The Reflex app: pages, the mounted FastAPI routes, and the live-push lifespan (DESIGN.md §3).

Each web worker consumes the push channel for the life of the process (``genpire_app.live``); in the
embedded default it also runs the queue worker in-process. The recovery sweep runs in queue workers.
"""

from __future__ import annotations

import reflex as rx

from genpire_app import live
from genpire_app.backend.api.app import create_api
from genpire_app.backend.http import wrap
from genpire_app.pages.marketing import marketing_page
from genpire_app.pages.account import account_page
from genpire_app.pages.activity import activity_page
from genpire_app.pages.ai_designer import ai_designer_page
from genpire_app.pages.cart import cart_page, test_checkout_page
from genpire_app.pages.help import help_page
from genpire_app.pages.orders import order_page, orders_page
from genpire_app.pages.print_page import print_page
from genpire_app.pages.quick3d import asset_page, quick3d_page, workspace_page
from genpire_app.pages.auth import login_page, signup_page
from genpire_app.pages.dashboard import dashboard_page
from genpire_app.pages.email_links import add_pages as add_email_link_pages
from genpire_app.pages.landing import landing_page
from genpire_app.pages.models3d_gallery import models3d_gallery_page
from genpire_app.pages.techpack import techpack_page
from genpire_app.pages.techpack_v2 import techpack_v2_page
from genpire_app.state.account import AccountState
from genpire_app.state.activity import ActivityState
from genpire_app.state.auth import AuthState
from genpire_app.state.dashboard import DashboardState
from genpire_app.state.models3d_gallery import GalleryState
from genpire_app.state.ai_designer import DesignerState
from genpire_app.state.cart import CartState, TestCheckoutState
from genpire_app.state.help import HelpState
from genpire_app.state.asset_page import AssetPageState, WorkspaceState
from genpire_app.state.orders import OrdersState
from genpire_app.state.print_page import PrintPageState
from genpire_app.state.quick3d import Quick3DState
from genpire_app.state.designer_model import DesignerModelState
from genpire_app.state.marketing import MarketingState
from genpire_app.state.session import signed_out_handler
from genpire_app.state.techpack import TechPackState
from genpire_app.state.techpack_v2 import TechPackV2State

app = rx.App(
    api_transformer=[create_api(), wrap],  # routes, then the HTTP hardening around everything
    stylesheets=["/styles.css"],
    html_lang="en",
    head_components=[rx.el.meta(name="description", content="Genpire: from product idea to tech pack."),
                     rx.script(src="/autoload.js", defer=True),
                     rx.script(src="/sortable.js", defer=True),
                     rx.script(src="/placement.js", defer=True)],
    # Top right, under the header: bottom-right toasts covered the chat's Send button.
    # A tab whose session ended (revoked, idle, expired) lands on the sign-in page at its next event.
    backend_exception_handler=signed_out_handler,
    toaster=rx.toast.provider(position="top-right", offset="64px", visible_toasts=3, close_button=True, rich_colors=True),
)
app.register_lifespan_task(live.lifespan)
app.add_page(landing_page, route="/", title="Genpire — product ideas to tech packs")
app.add_page(signup_page, route="/signup", title="Sign up · Genpire", on_load=AuthState.open_form)
app.add_page(login_page, route="/login", title="Sign in · Genpire", on_load=AuthState.open_form)
app.add_page(dashboard_page, route="/dashboard", title="Dashboard · Genpire", on_load=DashboardState.load)
app.add_page(ai_designer_page, route="/ai-designer", title="AI Designer · Genpire", on_load=[DesignerState.load, DesignerModelState.load])
app.add_page(models3d_gallery_page, route="/3d-models", title="3D models · Genpire", on_load=GalleryState.load)
app.add_page(account_page, route="/account", title="Account · Genpire", on_load=AccountState.load)
app.add_page(activity_page, route="/activity", title="Activity · Genpire", on_load=ActivityState.load)
app.add_page(techpack_page, route="/techpacks/[techpack_id]", title="Tech pack · Genpire", on_load=TechPackState.load)
app.add_page(cart_page, route="/cart", title="Cart · Genpire", on_load=CartState.load)
app.add_page(test_checkout_page, route="/checkout/test/[session_id]", title="Checkout · Genpire",
             on_load=TestCheckoutState.load)
app.add_page(orders_page, route="/orders", title="Orders · Genpire", on_load=OrdersState.load)
app.add_page(order_page, route="/orders/[order_id]", title="Order · Genpire", on_load=OrdersState.load_detail)
app.add_page(help_page, route="/help", title="Help · Genpire", on_load=HelpState.load)
app.add_page(quick3d_page, route="/quick-3d", title="Quick 3D · Genpire", on_load=Quick3DState.load)
app.add_page(workspace_page, route="/workspace", title="Workspace · Genpire", on_load=WorkspaceState.load)
app.add_page(asset_page, route="/assets/[asset_id]", title="Model · Genpire", on_load=AssetPageState.load)
app.add_page(techpack_v2_page, route="/tech-pack-v2/[product_id]", title="Tech Pack V2 · Genpire",
             on_load=TechPackV2State.load)
app.add_page(marketing_page, route="/marketing", title="Mockups & store · Genpire", on_load=MarketingState.load)
app.add_page(print_page, route="/print/[asset_id]", title="3D print · Genpire", on_load=PrintPageState.load)
add_email_link_pages(app)
