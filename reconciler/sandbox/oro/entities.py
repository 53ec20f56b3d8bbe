"""The Oro entities the emulator knows: their fields and field types, as Oro's
``EntityFieldProvider`` reports them (the types the dotmailer mapping validator checks and the
stock ``entitystructures`` resource shows).

The stock fields are read from the entities' Doctrine mappings; a seed adds custom (extend)
fields per entity, as an Oro administrator does in Entity Management. Sources, by commit:

* [CRM] oroinc/crm ``fa2e59b8``: ``ContactBundle/Entity/Contact.php``,
  ``SalesBundle/Entity/{Lead,B2bCustomer,Opportunity}.php``; ``Lead.source`` is the enum
  ``lead_source`` (``SalesBundle/Migrations/Schema/OroSalesBundleInstaller.php:219-224``);
* [P] oroinc/platform ``3aec000b``: ``AddressBundle/Entity/AbstractAddress.php`` (the fields of
  ``Address``, ``ContactAddress``, ``LeadAddress``; ``AbstractTypedAddress`` adds ``primary``);
* [CP] oroinc/customer-portal ``83299185``: ``CustomerBundle/Entity/{Customer,CustomerUser}.php``.

A relation path in a mapping (``addresses+Oro\\...\\ContactAddress::postalCode``) names the
related class and its field; :func:`field_type` resolves it as Oro's ``JoinIdentifierHelper``
does (oroinc/OroCRMDotmailerBundle ``Validator/DataFieldMappingConfigValidator.php:85-90``).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.sandbox.oro.schema import CONTACT, LEAD

_PERSON = {
    "namePrefix": "string",
    "firstName": "string",
    "middleName": "string",
    "lastName": "string",
    "nameSuffix": "string",
}
_ADDRESS = {  # [P] AbstractAddress.php
    "id": "integer",
    "label": "string",
    "street": "string",
    "street2": "string",
    "city": "string",
    "postalCode": "string",
    "country": "ref-one",
    "region": "ref-one",
    "organization": "string",
    "regionText": "string",
    **_PERSON,
    "created": "datetime",
    "updated": "datetime",
}
_OWNED = {
    "owner": "ref-one",
    "organization": "ref-one",
    "createdAt": "datetime",
    "updatedAt": "datetime",
}

STOCK: dict[str, dict[str, str]] = {
    CONTACT: {
        "id": "integer",
        **_PERSON,
        "gender": "string",
        "birthday": "date",
        "description": "text",
        "source": "ref-one",
        "method": "ref-one",
        "assignedTo": "ref-one",
        "reportsTo": "ref-one",
        "jobTitle": "string",
        "email": "string",
        "emails": "ref-many",
        "phones": "ref-many",
        "fax": "string",
        "skype": "string",
        "twitter": "string",
        "facebook": "string",
        "googlePlus": "string",
        "linkedIn": "string",
        "addresses": "ref-many",
        "groups": "ref-many",
        "accounts": "ref-many",
        "createdBy": "ref-one",
        "updatedBy": "ref-one",
        **_OWNED,
    },
    "Oro\\Bundle\\ContactBundle\\Entity\\ContactAddress": {**_ADDRESS, "primary": "boolean"},
    LEAD: {
        "id": "integer",
        "contact": "ref-one",
        "name": "string",
        **_PERSON,
        "jobTitle": "string",
        "phones": "ref-many",
        "emails": "ref-many",
        "companyName": "string",
        "website": "string",
        "numberOfEmployees": "integer",
        "industry": "string",
        "addresses": "ref-many",
        "opportunities": "ref-many",
        "notes": "text",
        "twitter": "string",
        "linkedIn": "string",
        "customerAssociation": "ref-one",
        "source": "enum",
        **_OWNED,
    },
    "Oro\\Bundle\\SalesBundle\\Entity\\LeadAddress": {**_ADDRESS, "primary": "boolean"},
    "Oro\\Bundle\\AddressBundle\\Entity\\Address": dict(_ADDRESS),
    "Oro\\Bundle\\SalesBundle\\Entity\\B2bCustomer": {
        "id": "integer",
        "name": "string",
        "lifetime": "money",
        "shippingAddress": "ref-one",
        "billingAddress": "ref-one",
        "account": "ref-one",
        "contact": "ref-one",
        "phones": "ref-many",
        "emails": "ref-many",
        **_OWNED,
    },
    "Oro\\Bundle\\SalesBundle\\Entity\\Opportunity": {
        "id": "integer",
        "closeReason": "ref-one",
        "contact": "ref-one",
        "lead": "ref-one",
        "name": "string",
        "closeDate": "date",
        "probability": "percent",
        "budgetAmountCurrency": "currency",
        "budgetAmountValue": "money_value",
        "baseBudgetAmountValue": "money",
        "closeRevenueCurrency": "currency",
        "closeRevenueValue": "money_value",
        "baseCloseRevenueValue": "money",
        "customerNeed": "text",
        "proposedSolution": "text",
        "notes": "text",
        "closedAt": "datetime",
        "customerAssociation": "ref-one",
        **_OWNED,
    },
    "Oro\\Bundle\\CustomerBundle\\Entity\\Customer": {
        "id": "integer",
        "name": "string",
        "parent": "ref-one",
        "children": "ref-many",
        "addresses": "ref-many",
        "group": "ref-one",
        "users": "ref-many",
        "salesRepresentatives": "ref-many",
        **_OWNED,
    },
    "Oro\\Bundle\\CustomerBundle\\Entity\\CustomerUser": {
        "id": "integer",
        "customer": "ref-one",
        "confirmed": "boolean",
        "email": "string",
        **_PERSON,
        "birthday": "date",
        "addresses": "ref-many",
        "salesRepresentatives": "ref-many",
        "website": "ref-one",
        "enabled": "boolean",
        "loginCount": "integer",
        "username": "string",
        "isGuest": "boolean",
        **_OWNED,
    },
}


# Entities with contact information, the ones a marketing list (and so dotmailer) can use:
# their entity config has ``contact_information`` ([CRM] Contact.php:51, Lead.php:51,
# B2bCustomer.php:45; [CP] CustomerUser.php:51). Addresses never are (AbstractAddress).
CONTACT_INFORMATION = frozenset(
    {
        CONTACT,
        LEAD,
        "Oro\\Bundle\\SalesBundle\\Entity\\B2bCustomer",
        "Oro\\Bundle\\CustomerBundle\\Entity\\CustomerUser",
    }
)


def catalogue(custom: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """The stock entities with a seed's custom fields (``{FQCN: {field: type}}``) added."""
    result = {entity: dict(fields) for entity, fields in STOCK.items()}
    for entity, fields in custom.items():
        result.setdefault(entity, {}).update(fields)
    return result


def field_type(entities: Mapping[str, Mapping[str, str]], entity: str, path: str) -> str:
    """The type of a mapped entity field, '' when the entity has no such field. A relation path
    ``a+b+Class::field`` is the field of its last class (JoinIdentifierHelper)."""
    last = path.rsplit("+", 1)[-1]
    if "::" in last:
        entity, last = last.split("::", 1)
    return entities.get(entity, {}).get(last, "")


def url_safe(entity: str) -> str:
    """``EntityClassNameHelper::getUrlSafeClassName``: backslashes become underscores."""
    return entity.replace("\\", "_")
