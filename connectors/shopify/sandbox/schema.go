package sandbox

// schemaSDL is the subset of Shopify's GraphQL Admin API (2025-01) the sandbox
// serves. Type, field, argument and enum names follow shopify.dev's reference
// for QueryRoot, Mutation, Order, LineItem, MoneyBag/MoneyV2, ShippingLine,
// TaxLine, DiscountAllocation, Refund, FulfillmentOrder, Fulfillment, Product,
// ProductVariant, InventoryItem, InventoryLevel, Location and the mutation
// payloads (fulfillmentCreate, orderCancel, inventorySetQuantities, productSet,
// publishablePublish/Unpublish). Only what the connector uses is present; a
// query for anything else fails validation exactly as an unknown field would
// on Shopify.
const schemaSDL = `
schema {
	query: QueryRoot
	mutation: Mutation
}

scalar DateTime
scalar Decimal
scalar Money
scalar URL

enum CurrencyCode { USD CAD EUR GBP JPY AUD MXN KWD CHF SEK NZD }
enum OrderSortKeys { CREATED_AT ID PROCESSED_AT UPDATED_AT NUMBER }
enum ProductSortKeys { ID TITLE UPDATED_AT CREATED_AT }
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
enum OrderDisplayFinancialStatus { PENDING AUTHORIZED PARTIALLY_PAID PARTIALLY_REFUNDED VOIDED PAID REFUNDED EXPIRED }
enum OrderDisplayFulfillmentStatus { UNFULFILLED PARTIALLY_FULFILLED FULFILLED RESTOCKED PENDING_FULFILLMENT OPEN IN_PROGRESS ON_HOLD SCHEDULED REQUEST_DECLINED }
enum FulfillmentOrderStatus { OPEN IN_PROGRESS CANCELLED INCOMPLETE CLOSED SCHEDULED ON_HOLD }
enum DeliveryMethodType { SHIPPING PICK_UP NONE RETAIL LOCAL PICKUP_POINT }
enum FulfillmentStatus { SUCCESS CANCELLED ERROR FAILURE OPEN PENDING }
enum ProductStatus { ACTIVE ARCHIVED DRAFT }
enum RefundLineItemRestockType { NO_RESTOCK CANCEL RETURN LEGACY_RESTOCK }
enum InventorySetQuantitiesUserErrorCode { INVALID_INVENTORY_ITEM INVALID_LOCATION INVALID_QUANTITY_NEGATIVE INVALID_REASON INVALID_QUANTITY_NAME ITEM_NOT_STOCKED_AT_LOCATION COMPARE_QUANTITY_REQUIRED COMPARE_QUANTITY_STALE NON_MUTABLE_INVENTORY_ITEM INVALID_QUANTITY_TOO_HIGH NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR }
enum ProductSetUserErrorCode { INVALID_INPUT PRODUCT_DOES_NOT_EXIST BLANK DUPLICATE_HANDLE INVALID_VARIANT }
enum OrderCancelUserErrorCode { INVALID NOT_FOUND ORDER_ALREADY_CANCELLED }

type QueryRoot {
	shop: Shop!
	order(id: ID!): Order
	orders(first: Int, after: String, last: Int, before: String, sortKey: OrderSortKeys = ID, reverse: Boolean = false, query: String): OrderConnection!
	product(id: ID!): Product
	products(first: Int, after: String, last: Int, before: String, sortKey: ProductSortKeys = ID, reverse: Boolean = false, query: String): ProductConnection!
	productVariants(first: Int, after: String, query: String): ProductVariantConnection!
	inventoryItem(id: ID!): InventoryItem
	inventoryItems(first: Int, after: String, query: String): InventoryItemConnection!
	location(id: ID): Location
	locations(first: Int, after: String, includeInactive: Boolean = false): LocationConnection!
	publications(first: Int, after: String): PublicationConnection!
}

type Mutation {
	fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
	orderCancel(orderId: ID!, reason: OrderCancelReason!, refund: Boolean!, restock: Boolean!, notifyCustomer: Boolean, staffNote: String): OrderCancelPayload
	inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
	productSet(input: ProductSetInput!, synchronous: Boolean = true): ProductSetPayload
	publishablePublish(id: ID!, input: [PublicationInput!]!): PublishablePublishPayload
	publishableUnpublish(id: ID!, input: [PublicationInput!]!): PublishableUnpublishPayload
}

type Shop {
	id: ID!
	name: String!
	myshopifyDomain: String!
	currencyCode: CurrencyCode!
	plan: ShopPlan!
}

type ShopPlan {
	displayName: String!
	shopifyPlus: Boolean!
}

type PageInfo {
	hasNextPage: Boolean!
	hasPreviousPage: Boolean!
	startCursor: String
	endCursor: String
}

type MoneyV2 {
	amount: Decimal!
	currencyCode: CurrencyCode!
}

type MoneyBag {
	shopMoney: MoneyV2!
	presentmentMoney: MoneyV2!
}

type MailingAddress {
	address1: String
	address2: String
	city: String
	company: String
	countryCodeV2: String
	firstName: String
	lastName: String
	name: String
	phone: String
	provinceCode: String
	zip: String
	latitude: Float
	longitude: Float
}

type Customer {
	id: ID!
	email: String
	firstName: String
	lastName: String
	phone: String
	displayName: String!
}

type OrderConnection {
	edges: [OrderEdge!]!
	nodes: [Order!]!
	pageInfo: PageInfo!
}

type OrderEdge {
	cursor: String!
	node: Order!
}

type Order {
	id: ID!
	name: String!
	email: String
	phone: String
	createdAt: DateTime!
	updatedAt: DateTime!
	processedAt: DateTime!
	cancelledAt: DateTime
	cancelReason: OrderCancelReason
	closed: Boolean!
	test: Boolean!
	currencyCode: CurrencyCode!
	presentmentCurrencyCode: CurrencyCode!
	displayFinancialStatus: OrderDisplayFinancialStatus
	displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
	sourceName: String
	tags: [String!]!
	note: String
	discountCodes: [String!]!
	paymentGatewayNames: [String!]!
	customer: Customer
	shippingAddress: MailingAddress
	billingAddress: MailingAddress
	retailLocation: Location
	subtotalPriceSet: MoneyBag
	totalDiscountsSet: MoneyBag
	totalShippingPriceSet: MoneyBag!
	totalTaxSet: MoneyBag
	totalPriceSet: MoneyBag!
	totalRefundedSet: MoneyBag!
	taxLines: [TaxLine!]!
	lineItems(first: Int, after: String): LineItemConnection!
	shippingLines(first: Int, after: String): ShippingLineConnection!
	refunds(first: Int): [Refund!]!
	fulfillments(first: Int): [Fulfillment!]!
	fulfillmentOrders(first: Int, after: String): FulfillmentOrderConnection!
}

type LineItemConnection {
	edges: [LineItemEdge!]!
	nodes: [LineItem!]!
	pageInfo: PageInfo!
}

type LineItemEdge {
	cursor: String!
	node: LineItem!
}

type LineItem {
	id: ID!
	name: String!
	title: String!
	variantTitle: String
	sku: String
	vendor: String
	quantity: Int!
	currentQuantity: Int!
	unfulfilledQuantity: Int!
	nonFulfillableQuantity: Int!
	refundableQuantity: Int!
	requiresShipping: Boolean!
	isGiftCard: Boolean!
	originalUnitPriceSet: MoneyBag!
	discountedUnitPriceSet: MoneyBag!
	totalDiscountSet: MoneyBag!
	discountAllocations: [DiscountAllocation!]!
	taxLines(first: Int): [TaxLine!]!
	variant: ProductVariant
}

type DiscountAllocation {
	allocatedAmountSet: MoneyBag!
}

type TaxLine {
	title: String!
	rate: Float
	ratePercentage: Float
	channelLiable: Boolean
	priceSet: MoneyBag!
}

type ShippingLineConnection {
	edges: [ShippingLineEdge!]!
	nodes: [ShippingLine!]!
	pageInfo: PageInfo!
}

type ShippingLineEdge {
	cursor: String!
	node: ShippingLine!
}

type ShippingLine {
	id: ID
	title: String!
	code: String
	source: String
	carrierIdentifier: String
	originalPriceSet: MoneyBag!
	discountedPriceSet: MoneyBag!
	discountAllocations: [DiscountAllocation!]!
	taxLines: [TaxLine!]!
}

type Refund {
	id: ID!
	createdAt: DateTime
	note: String
	totalRefundedSet: MoneyBag!
	refundLineItems(first: Int, after: String): RefundLineItemConnection!
}

type RefundLineItemConnection {
	edges: [RefundLineItemEdge!]!
	nodes: [RefundLineItem!]!
	pageInfo: PageInfo!
}

type RefundLineItemEdge {
	cursor: String!
	node: RefundLineItem!
}

type RefundLineItem {
	lineItem: LineItem!
	quantity: Int!
	restockType: RefundLineItemRestockType!
	restocked: Boolean!
}

type Fulfillment {
	id: ID!
	status: FulfillmentStatus!
	createdAt: DateTime!
	trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
}

type FulfillmentTrackingInfo {
	company: String
	number: String
	url: URL
}

type FulfillmentOrderConnection {
	edges: [FulfillmentOrderEdge!]!
	nodes: [FulfillmentOrder!]!
	pageInfo: PageInfo!
}

type FulfillmentOrderEdge {
	cursor: String!
	node: FulfillmentOrder!
}

type FulfillmentOrder {
	id: ID!
	status: FulfillmentOrderStatus!
	assignedLocation: FulfillmentOrderAssignedLocation!
	deliveryMethod: DeliveryMethod
	lineItems(first: Int, after: String): FulfillmentOrderLineItemConnection!
}

type FulfillmentOrderAssignedLocation {
	name: String!
	location: Location
}

type DeliveryMethod {
	methodType: DeliveryMethodType!
}

type FulfillmentOrderLineItemConnection {
	edges: [FulfillmentOrderLineItemEdge!]!
	nodes: [FulfillmentOrderLineItem!]!
	pageInfo: PageInfo!
}

type FulfillmentOrderLineItemEdge {
	cursor: String!
	node: FulfillmentOrderLineItem!
}

type FulfillmentOrderLineItem {
	id: ID!
	sku: String
	totalQuantity: Int!
	remainingQuantity: Int!
	lineItem: LineItem!
}

type ProductConnection {
	edges: [ProductEdge!]!
	nodes: [Product!]!
	pageInfo: PageInfo!
}

type ProductEdge {
	cursor: String!
	node: Product!
}

type Product {
	id: ID!
	title: String!
	handle: String!
	descriptionHtml: String!
	vendor: String!
	productType: String!
	status: ProductStatus!
	tags: [String!]!
	isGiftCard: Boolean!
	createdAt: DateTime!
	updatedAt: DateTime!
	options(first: Int): [ProductOption!]!
	variants(first: Int, after: String): ProductVariantConnection!
	publishedOnPublication(publicationId: ID!): Boolean!
}

type ProductOption {
	id: ID!
	name: String!
	values: [String!]!
}

type ProductVariantConnection {
	edges: [ProductVariantEdge!]!
	nodes: [ProductVariant!]!
	pageInfo: PageInfo!
}

type ProductVariantEdge {
	cursor: String!
	node: ProductVariant!
}

type ProductVariant {
	id: ID!
	title: String!
	sku: String
	barcode: String
	price: Money!
	compareAtPrice: Money
	inventoryQuantity: Int
	updatedAt: DateTime!
	selectedOptions: [SelectedOption!]!
	inventoryItem: InventoryItem!
	product: Product!
}

type SelectedOption {
	name: String!
	value: String!
}

type InventoryItemConnection {
	edges: [InventoryItemEdge!]!
	nodes: [InventoryItem!]!
	pageInfo: PageInfo!
}

type InventoryItemEdge {
	cursor: String!
	node: InventoryItem!
}

type InventoryItem {
	id: ID!
	sku: String
	tracked: Boolean!
	requiresShipping: Boolean!
	updatedAt: DateTime!
	variant: ProductVariant!
	inventoryLevel(locationId: ID!): InventoryLevel
	inventoryLevels(first: Int, after: String): InventoryLevelConnection!
}

type InventoryLevelConnection {
	edges: [InventoryLevelEdge!]!
	nodes: [InventoryLevel!]!
	pageInfo: PageInfo!
}

type InventoryLevelEdge {
	cursor: String!
	node: InventoryLevel!
}

type InventoryLevel {
	id: ID!
	updatedAt: DateTime
	item: InventoryItem!
	location: Location!
	quantities(names: [String!]!): [InventoryQuantity!]!
}

type InventoryQuantity {
	name: String!
	quantity: Int!
	updatedAt: DateTime
}

type LocationConnection {
	edges: [LocationEdge!]!
	nodes: [Location!]!
	pageInfo: PageInfo!
}

type LocationEdge {
	cursor: String!
	node: Location!
}

type Location {
	id: ID!
	name: String!
	isActive: Boolean!
	fulfillsOnlineOrders: Boolean!
	hasActiveInventory: Boolean!
	address: LocationAddress!
	inventoryLevels(first: Int, after: String): InventoryLevelConnection!
}

type LocationAddress {
	address1: String
	address2: String
	city: String
	provinceCode: String
	zip: String
	countryCode: String
	phone: String
	latitude: Float
	longitude: Float
}

type PublicationConnection {
	edges: [PublicationEdge!]!
	nodes: [Publication!]!
	pageInfo: PageInfo!
}

type PublicationEdge {
	cursor: String!
	node: Publication!
}

type Publication {
	id: ID!
	name: String!
}

type UserError {
	field: [String!]
	message: String!
}

type Job {
	id: ID!
	done: Boolean!
}

input FulfillmentInput {
	lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]!
	trackingInfo: FulfillmentTrackingInput
	notifyCustomer: Boolean = false
}

input FulfillmentOrderLineItemsInput {
	fulfillmentOrderId: ID!
	fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!]
}

input FulfillmentOrderLineItemInput {
	id: ID!
	quantity: Int!
}

input FulfillmentTrackingInput {
	company: String
	number: String
	url: URL
	numbers: [String!]
	urls: [URL!]
}

type FulfillmentCreatePayload {
	fulfillment: Fulfillment
	userErrors: [UserError!]!
}

type OrderCancelUserError {
	code: OrderCancelUserErrorCode
	field: [String!]
	message: String!
}

type OrderCancelPayload {
	job: Job
	orderCancelUserErrors: [OrderCancelUserError!]!
	userErrors: [UserError!]!
}

input InventorySetQuantitiesInput {
	name: String!
	reason: String!
	referenceDocumentUri: String
	ignoreCompareQuantity: Boolean = false
	quantities: [InventoryQuantityInput!]!
}

input InventoryQuantityInput {
	inventoryItemId: ID!
	locationId: ID!
	quantity: Int!
	compareQuantity: Int
}

type InventorySetQuantitiesUserError {
	code: InventorySetQuantitiesUserErrorCode
	field: [String!]
	message: String!
}

type InventoryChange {
	name: String!
	delta: Int!
	quantityAfterChange: Int
	item: InventoryItem
	location: Location
}

type InventoryAdjustmentGroup {
	id: ID!
	createdAt: DateTime!
	reason: String!
	referenceDocumentUri: String
	changes(quantityNames: [String!]): [InventoryChange!]!
}

type InventorySetQuantitiesPayload {
	inventoryAdjustmentGroup: InventoryAdjustmentGroup
	userErrors: [InventorySetQuantitiesUserError!]!
}

input ProductSetInput {
	id: ID
	handle: String
	title: String
	descriptionHtml: String
	vendor: String
	productType: String
	status: ProductStatus
	tags: [String!]
	giftCard: Boolean
	productOptions: [OptionSetInput!]
	variants: [ProductVariantSetInput!]
}

input OptionSetInput {
	name: String
	values: [OptionValueSetInput!]
}

input OptionValueSetInput {
	name: String
}

input ProductVariantSetInput {
	id: ID
	sku: String
	barcode: String
	price: Money
	compareAtPrice: Money
	optionValues: [VariantOptionValueInput!]!
	inventoryItem: InventoryItemInput
}

input VariantOptionValueInput {
	optionName: String
	name: String
}

input InventoryItemInput {
	sku: String
	tracked: Boolean
	requiresShipping: Boolean
}

type ProductSetUserError {
	code: ProductSetUserErrorCode
	field: [String!]
	message: String!
}

type ProductSetPayload {
	product: Product
	userErrors: [ProductSetUserError!]!
}

input PublicationInput {
	publicationId: ID
	publishDate: DateTime
}

type PublishablePublishPayload {
	userErrors: [UserError!]!
}

type PublishableUnpublishPayload {
	userErrors: [UserError!]!
}
`
